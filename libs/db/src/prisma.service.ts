import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

/**
 * node-postgres pool settings: an idle pooled connection does not keep the process alive (a CLI,
 * a test run or a tool ends when its work is done; servers stay up through their listeners).
 */
const pool = (connectionString: string, max = 10) => ({ connectionString, max, allowExitOnIdle: true });

/** Creates a Prisma 7 client over node-postgres (no native query engine). */
export function createPrismaClient(databaseUrl: string): PrismaClient {
  return new PrismaClient({ adapter: new PrismaPg(pool(databaseUrl)) });
}

// Disconnects in the last shutdown phase, after workers (onModuleDestroy) and the HTTP server
// have stopped using it.
@Injectable()
export class PrismaService extends PrismaClient implements OnApplicationShutdown {
  constructor(databaseUrl: string, poolSize?: number) {
    super({ adapter: new PrismaPg(pool(databaseUrl, poolSize)) });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.$disconnect();
  }
}
