import type { FaultDriver, FaultSpec, ResolvedTarget } from '@gameday/core';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { FAULT_DRIVER } from '../../../apps/worker/src/runner/runner.tokens';
import { type JsonBody, minimalGameDay } from '../../support/harness';
import { useStack } from '../../support/stack.fixture';

/**
 * The exec strategy runs tc inside the target with its own binaries and privileges: refused at
 * create/edit and by the worker unless GAMEDAY_ALLOW_EXEC_STRATEGY=true.
 */
describe('security: the exec strategy is off unless an admin enables it', () => {
  const marker = `sec-exec-${randomUUID().slice(0, 8)}`;
  const stack = useStack({ name: 'sec-exec', api: false, marker });

  /** an API of its own (own queue prefix) with this configuration */
  async function api(extra: Record<string, string> = {}) {
    return request((await stack.startApi(stack.newConfig(extra))).getHttpServer());
  }

  const execGameDay = (): JsonBody => {
    const b = minimalGameDay(new Date(Date.now() + 7 * 24 * 3600_000), { name: `${marker} ${randomUUID()}` });
    b.experiments[0].fault.strategy = 'exec';
    return b;
  };

  it('create and edit refuse it by default with a 400 naming the field', async () => {
    const http = await api();
    const res = await http.post('/api/v1/gamedays').set(stack.admin).send(execGameDay());
    expect(res.status).toBe(400);
    expect(res.body.errors).toContainEqual(
      expect.objectContaining({
        field: 'experiments[0].fault.strategy',
        message: expect.stringContaining('GAMEDAY_ALLOW_EXEC_STRATEGY'),
      }),
    );
    const sidecar = execGameDay();
    delete sidecar.experiments[0].fault.strategy;
    const created = await http.post('/api/v1/gamedays').set(stack.admin).send(sidecar);
    expect(created.status).toBe(201);
    const experiments = created.body.spec.experiments;
    experiments[0].fault.strategy = 'exec';
    const patched = await http.patch(`/api/v1/gamedays/${created.body.id}`).set(stack.admin).send({ experiments });
    expect(patched.status).toBe(400);
    expect(patched.body.errors).toContainEqual(expect.objectContaining({ field: 'experiments[0].fault.strategy' }));
  });

  it('an admin can enable it (GAMEDAY_ALLOW_EXEC_STRATEGY=true)', async () => {
    const http = await api({ GAMEDAY_ALLOW_EXEC_STRATEGY: 'true' });
    expect((await http.post('/api/v1/gamedays').set(stack.admin).send(execGameDay())).status).toBe(201);
  });

  it('the worker refuses to prepare an exec fault whatever the database says', async () => {
    const worker = await stack.startWorker('stop-at-arming', stack.newConfig());
    const driver = worker.get<FaultDriver>(FAULT_DRIVER);
    const fault = execGameDay().experiments[0].fault as FaultSpec;
    const target = { containerId: 'x', name: 'x' } as unknown as ResolvedTarget;
    await expect(driver.prepare(fault, target, {} as Parameters<FaultDriver['prepare']>[2])).rejects.toThrow(
      /GAMEDAY_ALLOW_EXEC_STRATEGY/,
    );
  });
});
