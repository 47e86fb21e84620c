import { Global, Module } from '@nestjs/common';
import { createMetrics, type GameDayMetrics } from './metrics';

export const METRICS = Symbol('METRICS');
export type { GameDayMetrics };

@Global()
@Module({
  providers: [{ provide: METRICS, useFactory: () => createMetrics() }],
  exports: [METRICS],
})
export class MetricsModule {}
