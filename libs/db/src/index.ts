export * from './prisma.service';
export * from './generated/prisma/client';
