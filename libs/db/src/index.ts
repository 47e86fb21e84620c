export * from './prisma.service';
export * from './generated/prisma/client';
export * from './repository.types';
export * from './api-token.repository';
export * from './gameday.repository';
export * from './run.repository';
export * from './db.module';
