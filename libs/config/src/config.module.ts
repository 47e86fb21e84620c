import { DynamicModule, Global, Module } from '@nestjs/common';
import { systemClock } from '@gameday/core';
import { type AppConfig, loadConfig } from './config.schema';

export const APP_CONFIG = Symbol('APP_CONFIG');
/** The one time source (a core Clock) of both apps; tests may override it. */
export const CLOCK = Symbol('CLOCK');

/** Makes the parsed configuration injectable as APP_CONFIG, and the clock as CLOCK; tests pass their own. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config?: AppConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [
        { provide: APP_CONFIG, useFactory: () => config ?? loadConfig() },
        { provide: CLOCK, useValue: systemClock },
      ],
      exports: [APP_CONFIG, CLOCK],
    };
  }
}
