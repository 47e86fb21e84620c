import { FAULT_KIND_DEFS } from '../../../libs/core/src/faults/kinds/fault-kind-def.registry';
import { validatorsModule } from './validators-module';
import { gameDaySpecJsonSchema } from './spec-json-schema';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("the editor form's schema, from the spec's zod schema", () => {
  const schema = gameDaySpecJsonSchema();
  const spec: Json = (schema.definitions as Json).GameDaySpec;
  const experiment: Json = spec.properties.experiments.items;

  it('offers every fault kind of the union as a choice named by its kind, discriminated by `kind`', () => {
    const fault = experiment.properties.fault;
    expect(fault.discriminator).toEqual({ propertyName: 'kind' });
    expect(fault.oneOf.map((o: Json) => o.title)).toEqual(FAULT_KIND_DEFS.map((d) => d.name));
    expect(fault.oneOf.map((o: Json) => o.properties.kind.const)).toEqual(FAULT_KIND_DEFS.map((d) => d.name));
    expect(fault.oneOf.map((o: Json) => o.properties.kind.default)).toEqual(FAULT_KIND_DEFS.map((d) => d.name));
  });

  it('names the probe kinds too, and leaves unions without a `kind` alone', () => {
    const probes = experiment.properties.hypothesis.properties.probes.items;
    expect(probes.anyOf ?? probes.oneOf).toEqual(
      expect.arrayContaining([expect.objectContaining({ title: 'prometheus' })]),
    );
    const text = JSON.stringify(schema);
    // the experiment's fault, a step's fault and the probe: every other union has no `kind`
    expect(text.match(/"discriminator"/g)).toHaveLength(3);
    expect(experiment.properties.steps.items.properties.fault.discriminator).toEqual({ propertyName: 'kind' });
  });

  it("turns Ajv's standalone CommonJS into a module whose requires are imports", () => {
    // the shape of Ajv's standalone output (the real one is compiled by every web build)
    const code = [
      '"use strict";',
      'exports["1"] = validate10;',
      'const func2 = require("ajv/dist/runtime/ucs2length").default;',
      'const formats0 = require("ajv-formats/dist/formats").fullFormats.uri;',
      'function validate10(data) { return func2(data) > 0; }',
    ].join('\n');
    const module = validatorsModule(code, schema);
    expect(module).toContain('import * as r1 from "ajv-formats/dist/formats";');
    expect(module).toContain(`export const schema = ${JSON.stringify(schema)};`);
    expect(module).not.toMatch(/^"use strict";/m);
    expect(module).toContain('import * as r0 from "ajv/dist/runtime/ucs2length";');
    expect(module).toMatch(/^export const validators = exports;$/m);
    expect(module).not.toMatch(/\bnew Function\b|\beval\(/);
  });
});
