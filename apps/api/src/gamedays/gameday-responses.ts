// OpenAPI shapes of what the GameDay endpoints answer beyond the spec itself.

const specWarning = {
  type: 'object',
  required: ['field', 'message'],
  properties: {
    field: { type: 'string', description: 'the spec field to change', example: 'experiments[0].durations.baseline' },
    message: {
      type: 'string',
      example:
        "a 20s baseline gives about 4 sample(s) at the probes' interval (every 5s), fewer than minSamples 10: the verdict would be inconclusive; make it at least 50s or probe more often",
    },
  },
};

/** What a GameDay may regret, never a refusal: windows too short for minSamples at the probes' interval. */
export const WARNINGS_SCHEMA = {
  type: 'array',
  description: "windows too short to give minSamples at the probes' interval (the verdict would be inconclusive)",
  items: specWarning,
};

/** POST / PATCH answer: the GameDay view plus its warnings. */
export const GAMEDAY_WRITE_RESPONSE = {
  type: 'object',
  additionalProperties: true,
  required: ['id', 'nextRunAt', 'warnings'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    nextRunAt: { type: 'string', format: 'date-time', nullable: true },
    version: { type: 'integer' },
    warnings: WARNINGS_SCHEMA,
  },
};

/** POST /:id/dry-run answer (DryRunReport). */
export const DRY_RUN_RESPONSE = {
  type: 'object',
  required: ['gameDayId', 'gameDayVersion', 'resolvedAt', 'arming', 'warnings', 'experiments'],
  properties: {
    gameDayId: { type: 'string', format: 'uuid' },
    gameDayVersion: { type: 'integer' },
    resolvedAt: { type: 'string', format: 'date-time' },
    arming: {
      type: 'object',
      nullable: true,
      description:
        "the arming a run starting now on this engine would reserve ahead of each baseline that gives no durations.arming (null when every experiment gives its own): p90 of the engine's recent armings × margin, between floor and cap; the cold value until the engine has minHistory armings",
      properties: {
        engine: { type: 'string' },
        leadMs: { type: 'integer' },
        source: { type: 'string', enum: ['learned', 'cold'] },
        samples: { type: 'integer' },
        p90Ms: { type: 'integer', nullable: true },
        policy: {
          type: 'object',
          properties: Object.fromEntries(
            ['floorMs', 'coldMs', 'capMs', 'margin', 'history', 'minHistory'].map((k) => [k, { type: 'number' }]),
          ),
        },
      },
    },
    warnings: WARNINGS_SCHEMA,
    experiments: {
      type: 'array',
      description:
        '{ index, name, fault, result: { kind, targets: [{ target, strategy, runner, apply, verify, revert, warnings }], refused, deduplicated, selection } | error }',
      items: { type: 'object', additionalProperties: true },
    },
  },
};
