import Form from '@rjsf/core';
import type { ErrorSchema, MultiSchemaFieldTemplateProps, UiSchema } from '@rjsf/utils';
import { createPrecompiledValidator } from '@rjsf/validator-ajv8';
import { isValidElement, type ReactNode } from 'react';
import { schema, validators } from 'virtual:gameday-spec-schema';
import { withoutEmptyObjects } from './field-errors';

// the validators were compiled at build time from the same schema (the UI's policy forbids eval)
const validator = createPrecompiledValidator(validators, schema);

// the spec's own top-level field names read well as a title; nested titles come from the keys
const uiSchema: UiSchema = {
  'ui:title': 'GameDay',
  description: { 'ui:widget': 'textarea' },
};

/** A union's chooser (a fault's kind…) with a label of its own: rjsf's default has none. */
function UnionChoice({ selector, optionSchemaField }: MultiSchemaFieldTemplateProps) {
  const props = isValidElement<{ id?: string; label?: string }>(selector) ? selector.props : {};
  return (
    <div className="panel panel-default panel-body union">
      <div className="form-group">
        {props.id && <label htmlFor={props.id}>{`${props.label ?? 'value'} kind`}</label>}
        {selector}
      </div>
      {optionSchemaField}
    </div>
  );
}

/**
 * The GameDay spec as a form generated from its JSON schema (libs/core's zod schema, built into
 * the bundle): every fault kind of the union is a choice of the experiment's fault.
 */
export default function SpecForm({
  value,
  onChange,
  onSubmit,
  errors,
  children,
}: {
  value: unknown;
  onChange: (value: unknown) => void;
  onSubmit: (value: unknown) => void;
  errors: ErrorSchema;
  children: ReactNode;
}) {
  return (
    <Form
      schema={schema}
      uiSchema={uiSchema}
      validator={validator}
      formData={value}
      onChange={(e) => onChange(withoutEmptyObjects(e.formData))}
      onSubmit={(e) => onSubmit(e.formData)}
      extraErrors={errors}
      showErrorList="top"
      noHtml5Validate
      templates={{ MultiSchemaFieldTemplate: UnionChoice }}
      // optional objects stay absent until filled in (the API applies its defaults)
      experimental_defaultFormStateBehavior={{ emptyObjectFields: 'populateRequiredDefaults' }}
      idPrefix="spec"
      className="spec-rjsf"
    >
      {children}
    </Form>
  );
}
