import { ArgumentMetadata, Injectable, PipeTransform } from '@nestjs/common';
import { fieldErrors, unstorableTextErrors } from '@gameday/core';
import { z } from 'zod';
import { validationProblem } from './problem';

/**
 * Validates a parameter against the zod schema attached with `@Body({ schema, pipes: [ZodValidationPipe] })`
 * (the same schema @nestjs/swagger turns into the OpenAPI document) and reports EVERY invalid
 * field as a problem+json 400.
 */
@Injectable()
export class ZodValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const schema = metadata.schema;
    if (!(schema instanceof z.ZodType)) return value;
    const named = metadata.type !== 'body' && metadata.data ? [metadata.data] : [];
    // text Postgres cannot store is refused here, for every body, path and query alike
    const unstorable = unstorableTextErrors(value, named);
    if (unstorable.length > 0) throw validationProblem(unstorable);
    const result = schema.safeParse(value ?? (metadata.type === 'body' ? undefined : {}));
    if (result.success) return result.data;
    // a named parameter (@Param('id'), @Query('limit')) is reported under its own name
    throw validationProblem(fieldErrors(result.error, named));
  }
}
