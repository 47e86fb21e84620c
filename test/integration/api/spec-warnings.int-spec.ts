import { randomUUID } from 'node:crypto';
import { minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

// Create and update answer with `warnings`: windows too short to give minSamples at the probes'
// interval (the verdict would be inconclusive whatever happens). Never a refusal.
describe('spec warnings on create and update', () => {
  const stack = useStack({ name: 'spec-warnings' });

  /** The README's smallest GameDay, probed every 5 s, with tolerances and minSamples 10. */
  function body(baseline: string) {
    const b = minimalGameDay(new Date(Date.now() + 3 * 3600_000), { name: `warnings-${randomUUID()}` });
    const e = b.experiments[0];
    e.hypothesis.probes[0].interval = '5s';
    e.hypothesis.tolerances = { fault: { maxErrorRate: 0.1 }, recovery: { maxErrorRate: 0.1 }, minSamples: 10 };
    e.durations = { baseline, fault: '2m', recovery: '1m' };
    return b;
  }

  it('creates the GameDay and warns of a baseline that cannot give minSamples, naming the field', async () => {
    const res = await stack.http.post('/api/v1/gamedays').set(stack.admin).send(body('20s'));
    expect(res.status).toBe(201);
    stack.gameDayIds.push(res.body.id);
    expect(res.body.warnings).toEqual([
      {
        field: 'experiments[0].durations.baseline',
        message:
          "a 20s baseline gives about 4 sample(s) at the probes' interval (every 5s), fewer than minSamples 10: the verdict would be inconclusive; make it at least 50s or probe more often",
      },
    ]);

    // fixed by an update: the answer says nothing more
    const fixed = await stack.http
      .patch(`/api/v1/gamedays/${res.body.id}`)
      .set(stack.admin)
      .send({ experiments: body('50s').experiments });
    expect(fixed.status).toBe(200);
    expect(fixed.body.warnings).toEqual([]);
  });

  it('documents the warnings in the OpenAPI schema of create, update and dry run', async () => {
    const docs = (await stack.http.get('/docs/json')).body;
    // answers are named schemas: follow "#/components/schemas/X"
    const resolve = (schema: { $ref?: string }) =>
      schema.$ref ? docs.components.schemas[schema.$ref.split('/').pop()!] : schema;
    const answer = (path: string, method: string, status: string) =>
      resolve(docs.paths[path][method].responses[status].content['application/json'].schema);
    const created = answer('/api/v1/gamedays', 'post', '201');
    expect(resolve(created.properties.warnings.items).properties).toEqual({
      field: expect.objectContaining({ type: 'string' }),
      message: expect.objectContaining({ type: 'string' }),
    });
    const patched = answer('/api/v1/gamedays/{id}', 'patch', '200');
    expect(patched.properties.warnings).toEqual(created.properties.warnings);
    const dry = answer('/api/v1/gamedays/{id}/dry-run', 'post', '200');
    expect(dry.properties.warnings).toEqual(created.properties.warnings);
    expect(resolve(dry.properties.arming).properties.leadMs).toMatchObject({ type: 'integer' });
  });
});
