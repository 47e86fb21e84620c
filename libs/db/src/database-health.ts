import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service';

/** Readiness: the database answers a trivial query. */
@Injectable()
export class DatabaseHealth {
  constructor(private readonly prisma: PrismaService) {}

  async ping(): Promise<void> {
    await this.prisma.$queryRaw`SELECT 1`;
  }
}
