import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { parseConfig } from '@gameday/config';
import { AppModule } from './app.module';

/** The OpenAPI document of the API: served at /docs/json, committed as apps/api/openapi.json. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('GameDay API')
      .setDescription(
        'Schedule chaos-engineering GameDays, inspect their runs. Errors are RFC 9457 application/problem+json.',
      )
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
}

/**
 * The document without a running API: Nest's preview mode scans controllers and their decorators
 * without creating providers, so neither Postgres nor Redis is needed (npm run api:types, the
 * staleness spec).
 */
export async function buildOpenApiDocument(): Promise<OpenAPIObject> {
  const config = parseConfig({ DATABASE_URL: 'postgresql://unused@127.0.0.1:1/unused' });
  const app = await NestFactory.create(AppModule.withConfig(config, {}), { preview: true, logger: false });
  try {
    return openApiDocument(app);
  } finally {
    await app.close();
  }
}
