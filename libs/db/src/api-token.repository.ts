import { Injectable } from '@nestjs/common';
import type { ApiToken, Role } from './generated/prisma/client';
import { PrismaService } from './prisma.service';
import type { ApiTokenStore } from './repository.types';

@Injectable()
export class ApiTokenRepository implements ApiTokenStore {
  constructor(private readonly prisma: PrismaService) {}

  create(data: {
    name: string;
    role: Role;
    tokenHash: string;
    prefix: string;
    createdById?: string | null;
    expiresAt?: Date | null;
  }): Promise<ApiToken> {
    return this.prisma.apiToken.create({ data });
  }

  /** Not revoked and not expired at `now`. */
  findActiveByHash(tokenHash: string, now: Date): Promise<ApiToken | null> {
    return this.prisma.apiToken.findFirst({
      where: { tokenHash, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    });
  }

  /** Whether the token is still good at `now` (not revoked, not expired): one primary-key read. */
  async isActive(id: string, now: Date): Promise<boolean> {
    const count = await this.prisma.apiToken.count({
      where: { id, revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
    });
    return count === 1;
  }

  list(): Promise<ApiToken[]> {
    return this.prisma.apiToken.findMany({ orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 1000 });
  }

  async revoke(id: string, at: Date): Promise<boolean> {
    const { count } = await this.prisma.apiToken.updateMany({
      where: { id, revokedAt: null },
      data: { revokedAt: at },
    });
    return count === 1;
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.prisma.apiToken.update({ where: { id }, data: { lastUsedAt: at } });
  }
}
