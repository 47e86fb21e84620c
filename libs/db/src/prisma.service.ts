import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

/**
 * node-postgres pool settings: an idle pooled connection does not keep the process alive (a CLI,
 * a test run or a tool ends when its work is done; servers stay up through their listeners).
 */
const pool = (connectionString: string, max = 10) => ({ connectionString, max, allowExitOnIdle: true });

/**
 * How long a transaction may wait for a pooled connection. Prisma's default (2 s) failed the
 * transactions of a worker whose pool was busy (a burst's runs, 50 per worker, on 10 connections):
 * runs failed their transitions and fire jobs spent their attempts. A busy pool must slow work
 * down, not fail it; a database out of reach still fails (the connection attempt itself errors).
 */
export const TRANSACTION_MAX_WAIT_MS = 30_000;

const options = (connectionString: string, max?: number) => ({
  adapter: new PrismaPg(pool(connectionString, max)),
  transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS },
});

/** Creates a Prisma 7 client over node-postgres (no native query engine). */
export function createPrismaClient(databaseUrl: string, poolSize?: number): PrismaClient {
  return new PrismaClient(options(databaseUrl, poolSize));
}

// Disconnects in the last shutdown phase, after workers (onModuleDestroy) and the HTTP server
// have stopped using it.
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(databaseUrl: string, poolSize?: number) {
    super(options(databaseUrl, poolSize));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
