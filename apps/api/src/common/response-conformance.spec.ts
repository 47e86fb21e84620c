import type { z } from 'zod';
import type { gameDayViewSchema, scoreTrendSchema } from '../gamedays/gameday-responses';
import type { scoreTrendView } from '../gamedays/score-trend.view';
import type { gameDayView } from '../gamedays/gameday.view';
import type {
  meSchema,
  runDetailViewSchema,
  runNoteViewSchema,
  runViewSchema,
  safetyLeverViewSchema,
} from './response.schemas';
import type { noteView, runDetailView, runView } from './run.view';
import type { SafetyLeverService } from '../safety/safety-lever.service';
import type { MeController } from '../auth/me.controller';
import type { TemplatesController } from '../templates/templates.controller';
import type { templateListSchema } from '../templates/template-responses';

// The views build the answers; the schemas describe them (and generate the clients' types). The
// compiler holds the one to the other: a view that grows, renames or retypes a field fails here
// until its schema (and so the OpenAPI document) says the same.

/** What JSON makes of a view: instants become ISO strings. */
type Wire<T> = T extends Date
  ? string
  : T extends bigint
    ? string
    : T extends (infer U)[]
      ? Wire<U>[]
      : T extends object
        ? { [K in keyof T]: Wire<T[K]> }
        : T;
type Out<S extends z.ZodType> = z.output<S>;

// each function compiles only if what the view builds is assignable to what its schema says
const checks = [
  (v: Wire<ReturnType<typeof runView>>): Out<typeof runViewSchema> => v,
  (v: Wire<ReturnType<typeof runDetailView>>): Omit<Out<typeof runDetailViewSchema>, 'safetyLever'> => v,
  (v: Wire<ReturnType<typeof noteView>>): Out<typeof runNoteViewSchema> => v,
  (v: Wire<ReturnType<typeof gameDayView>>): Out<typeof gameDayViewSchema> => v,
  (v: Wire<Awaited<ReturnType<SafetyLeverService['view']>>>): Out<typeof safetyLeverViewSchema> => v,
  (v: Wire<ReturnType<MeController['me']>>): Out<typeof meSchema> => v,
  (v: Wire<ReturnType<typeof scoreTrendView>>): Out<typeof scoreTrendSchema> => v,
  (v: Wire<ReturnType<TemplatesController['list']>>): Out<typeof templateListSchema> => v,
];

describe('response schemas', () => {
  it('describe what the views build (checked by the compiler)', () => {
    expect(checks).toHaveLength(8);
  });
});
