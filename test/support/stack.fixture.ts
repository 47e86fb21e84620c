import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import type { AppConfig } from '@gameday/config';
import type { PrismaClient } from '@gameday/db';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApiApp } from '../../apps/api/src/bootstrap';
import { createWorkerApp } from '../../apps/worker/src/bootstrap';
import { ADMIN_TOKEN, deleteGameDays, deleteQueueKeys, startWorker, testConfig, testPrisma } from './harness';

/**
 * The lifecycle of an integration test file in one call: its config (own queue prefix), the API,
 * a worker, role tokens, and afterwards everything closed and deleted in order (workers, APIs,
 * the file's GameDays and tokens, Prisma, the queue keys). Hooks are registered where it is
 * called (a describe block, or the file).
 */
export type Role = 'viewer' | 'operator' | 'admin';
export type AuthHeader = { Authorization: string };
export const bearer = (token: string): AuthHeader => ({ Authorization: `Bearer ${token}` });

/** 'stop-at-arming': runs stop at arming (scheduling tests, no Docker); 'real': the executor runs them. */
export type WorkerKind = 'stop-at-arming' | 'real';
export type ApiAppOptions = NonNullable<Parameters<typeof createApiApp>[1]>;
/** a real worker's options (hooks: the arming policy, a wrapped fault driver …) */
export type WorkerAppOptions = Omit<NonNullable<Parameters<typeof createWorkerApp>[1]>, 'logger'>;

export interface StackOptions {
  /** names the queue prefix and the tokens */
  name: string;
  /** environment on top of testConfig's */
  env?: Record<string, string>;
  /** the API, started by default; `listen` puts it on a port of 127.0.0.1 (stack.url) */
  api?: boolean | (ApiAppOptions & { listen?: boolean });
  worker?: false | WorkerKind;
  /** a token per role, created through the API before the tests */
  users?: Role[];
  /** GameDays and tokens named with this prefix are deleted too (for those not tracked by id) */
  marker?: string;
}

export interface StackToken {
  id: string;
  name: string;
  token: string;
}

export interface Stack {
  readonly config: AppConfig;
  readonly prisma: PrismaClient;
  /** the first API started */
  readonly api: INestApplication;
  /** supertest on that API */
  readonly http: ReturnType<typeof request>;
  /** its base URL (with `api: { listen: true }`) */
  readonly url: string;
  /** the first worker started */
  readonly worker: INestApplicationContext;
  /** the configured admin token's header */
  readonly admin: AuthHeader;
  /** a role token from `users` */
  user(role: Role): StackToken;
  /** its header */
  as(role: Role): AuthHeader;
  /** deleted (runs, events, leases included) after the tests */
  readonly gameDayIds: string[];
  /** deleted after the tests */
  readonly tokenIds: string[];
  /**
   * Creates the GameDay through the API (as the admin unless `as` says otherwise; deleted
   * afterwards) and runs it now; returns the run's id. Either answer other than 201 fails with its body.
   */
  runNow(body: Record<string, unknown>, as?: AuthHeader): Promise<string>;
  /** a token made by the admin through the API, deleted afterwards */
  createToken(role: Role, name?: string): Promise<StackToken>;
  /** another config (its own queue prefix, whose keys are deleted afterwards) */
  newConfig(env?: Record<string, string>): AppConfig;
  /** another API, closed afterwards */
  startApi(config?: AppConfig, options?: ApiAppOptions): Promise<INestApplication>;
  /** closes an API before the end (a test of what happens then) */
  closeApi(app?: INestApplication): Promise<void>;
  /** another worker, closed afterwards */
  startWorker(kind?: WorkerKind, config?: AppConfig, options?: WorkerAppOptions): Promise<INestApplicationContext>;
  /** runs first in afterAll, while the API and workers are still up */
  beforeClose(fn: () => Promise<unknown>): void;
}

export function useStack(options: StackOptions): Stack {
  const configs = [testConfig(options.name, options.env)];
  const prisma = testPrisma();
  const apis: INestApplication[] = [];
  const workers: INestApplicationContext[] = [];
  const users = new Map<Role, StackToken>();
  const gameDayIds: string[] = [];
  const tokenIds: string[] = [];
  const closing: (() => Promise<unknown>)[] = [];
  let http: ReturnType<typeof request> | undefined;
  let url = '';

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined || value === '')
      throw new Error(`the stack has no ${what} (not started, or not asked for)`);
    return value;
  };

  const stack: Stack = {
    config: configs[0],
    prisma,
    get api() {
      return started(apis[0], 'API');
    },
    get http() {
      return started(http, 'API');
    },
    get url() {
      return started(url, 'listening API');
    },
    get worker() {
      return started(workers[0], 'worker');
    },
    admin: bearer(ADMIN_TOKEN),
    user: (role) => started(users.get(role), `${role} token`),
    as: (role) => bearer(stack.user(role).token),
    gameDayIds,
    tokenIds,
    async runNow(body, as = stack.admin) {
      const created = await stack.http.post('/api/v1/gamedays').set(as).send(body);
      expect({ create: created.status, body: created.status === 201 ? null : created.body }).toEqual({
        create: 201,
        body: null,
      });
      gameDayIds.push(created.body.id);
      const started = await stack.http.post(`/api/v1/gamedays/${created.body.id}/runs`).set(as).send({});
      expect({ run: started.status, body: started.status === 201 ? null : started.body }).toEqual({
        run: 201,
        body: null,
      });
      return started.body.id as string;
    },
    async createToken(role, name = `${options.name}-${role}-${randomUUID().slice(0, 8)}`) {
      const res = await stack.http.post('/api/v1/tokens').set(stack.admin).send({ name, role });
      if (res.status !== 201) throw new Error(`creating a ${role} token: ${res.status} ${res.text}`);
      tokenIds.push(res.body.id);
      return { id: res.body.id, name, token: res.body.token };
    },
    newConfig(env = {}) {
      const config = testConfig(options.name, { ...options.env, ...env });
      configs.push(config);
      return config;
    },
    async startApi(config = stack.config, apiOptions = {}) {
      const app = await createApiApp(config, { logger: false, ...apiOptions });
      await app.init();
      apis.push(app);
      http ??= request(app.getHttpServer());
      return app;
    },
    async closeApi(app = stack.api) {
      const at = apis.indexOf(app);
      if (at >= 0) apis.splice(at, 1);
      await app.close();
    },
    async startWorker(kind = 'real', config = stack.config, workerOptions = {}) {
      const worker =
        kind === 'stop-at-arming'
          ? await startWorker(config)
          : await createWorkerApp(config, { ...workerOptions, logger: false });
      workers.push(worker);
      return worker;
    },
    beforeClose: (fn) => void closing.push(fn),
  };

  beforeAll(async () => {
    if (options.api !== false) {
      const { listen, ...apiOptions } = typeof options.api === 'object' ? options.api : { listen: false };
      const app = await stack.startApi(stack.config, apiOptions);
      if (listen) {
        await app.listen(0, '127.0.0.1');
        url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      }
    }
    if (options.worker) await stack.startWorker(options.worker);
    for (const role of options.users ?? []) users.set(role, await stack.createToken(role));
  });

  afterAll(async () => {
    // every step runs even when one fails; the first failure is thrown at the end
    const errors: unknown[] = [];
    const step = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        errors.push(err);
      }
    };
    for (const fn of closing) await step(fn);
    for (const worker of workers.splice(0)) await step(() => worker.close());
    for (const app of apis.splice(0)) await step(() => app.close());
    await step(async () => {
      const marked = options.marker
        ? await prisma.gameDay.findMany({ where: { name: { startsWith: options.marker } }, select: { id: true } })
        : [];
      const ids = [...gameDayIds, ...marked.map((g) => g.id)];
      // leases point at runs (set null on delete): a test's leases go with its runs
      await prisma.activeFault.deleteMany({ where: { run: { gameDayId: { in: ids } } } });
      await deleteGameDays(prisma, ids);
    });
    await step(() =>
      prisma.apiToken.deleteMany({
        where: {
          OR: [{ id: { in: tokenIds } }, ...(options.marker ? [{ name: { startsWith: options.marker } }] : [])],
        },
      }),
    );
    await step(() => prisma.$disconnect());
    for (const config of configs) await step(() => deleteQueueKeys(config));
    if (errors.length > 0) throw errors[0];
  });

  return stack;
}
