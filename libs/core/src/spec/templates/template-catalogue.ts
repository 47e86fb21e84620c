import connectionReset from './connection-reset.template.json';
import badAfternoon from './bad-afternoon.template.json';
import containerPause from './container-pause.template.json';
import containerRestart from './container-restart.template.json';
import databaseUnreachable from './database-unreachable.template.json';
import dnsOutage from './dns-outage.template.json';
import diskFull from './disk-full.template.json';
import { describeTemplate, loadTemplate, type GameDayTemplate, type TemplateSummary } from './gameday-template';
import partition from './partition.template.json';
import noisyNeighbour from './noisy-neighbour.template.json';
import processCrash from './process-crash.template.json';
import serviceLatency from './service-latency.template.json';

/**
 * The catalogue of ready GameDays, embedded as data in the library: the CLI (dist/apps/cli), the
 * API and its image, and the tests all read the same files through the compiled module, with no
 * directory to find at run time. Only fault kinds that exist have a template (see the README).
 */
const RAW: unknown[] = [
  serviceLatency,
  databaseUnreachable,
  processCrash,
  containerPause,
  containerRestart,
  partition,
  noisyNeighbour,
  connectionReset,
  dnsOutage,
  diskFull,
  badAfternoon,
];

let loaded: ReadonlyMap<string, GameDayTemplate> | undefined;

/** The templates by name, each checked once (a broken template file fails loudly on first use). */
export function templateCatalogue(): ReadonlyMap<string, GameDayTemplate> {
  loaded ??= new Map(RAW.map((raw) => loadTemplate(raw)).map((t) => [t.name, t]));
  return loaded;
}

export function findTemplate(name: string): GameDayTemplate | undefined {
  return templateCatalogue().get(name);
}

export function listTemplates(): TemplateSummary[] {
  return [...templateCatalogue().values()].map(describeTemplate);
}
