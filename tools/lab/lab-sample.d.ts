export interface LabSample {
  /** every lab file runs (GAMEDAY_LAB_SAMPLE=all) */
  all: boolean;
  seed: string;
  /** the lab files of the shared Docker guest this run takes */
  dockerFiles: string[];
  /** the kinds of the SIGKILL trials (undefined: the trial file's own default) */
  sigkillKinds: string[] | undefined;
}
export declare const KIND_FILES: string[];
export declare const SIGKILL_KINDS: string[];
export declare function labSample(env?: NodeJS.ProcessEnv): LabSample;
