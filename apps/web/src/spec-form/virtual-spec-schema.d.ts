// Built by apps/web/build/spec-form.vite-plugin.ts from the zod schema in libs/core.
declare module 'virtual:gameday-spec-schema' {
  import type { RJSFSchema } from '@rjsf/utils';
  import type { ValidatorFunctions } from '@rjsf/validator-ajv8';
  export const schema: RJSFSchema;
  export const validators: ValidatorFunctions;
}
