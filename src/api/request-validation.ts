import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';

// ajv-formats ships CommonJS whose default export is the plugin.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Fastify's own ajv coerces types (`"7"` → 7, `true` → 1, `"abc"` → `["abc"]`, `null` → `[]`) and
 * silently drops unknown properties. Bodies are JSON, so they carry their types and are validated
 * as they are, unknown properties refused, as strictly as function specs. Query strings, path
 * parameters and headers are text by nature, so their values are coerced to the schema's types
 * (`?priority=7` is the number 7); an unknown query parameter is still refused, not dropped.
 * Defaults apply to both. `allErrors` stays off: with it, a crafted body costs ajv far more work.
 */
const common = {
  useDefaults: true,
  removeAdditional: false,
  allErrors: false,
  // As Fastify's: a schema with an `$id` nested in several routes' schemas is not registered twice.
  addUsedSchema: false,
} as const;
const strictAjv = withFormats(new Ajv({ ...common, coerceTypes: false }));
const textAjv = withFormats(new Ajv({ ...common, coerceTypes: 'array' }));

function withFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  return ajv;
}

/**
 * Points an error about a property at that property: ajv reports an unknown or a missing property
 * on the object that holds it, so the answer would say `body must NOT have additional properties`
 * without saying which.
 */
function namingTheProperty(error: ErrorObject): ErrorObject {
  const params = error.params as { additionalProperty?: string; missingProperty?: string };
  if (error.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
    return { ...error, instancePath: `${error.instancePath}/${params.additionalProperty}`, message: 'is not a known field' };
  }
  if (error.keyword === 'required' && params.missingProperty !== undefined) {
    return { ...error, instancePath: `${error.instancePath}/${params.missingProperty}`, message: 'is required' };
  }
  return error;
}

/** The compiled validator, reporting errors by the property they are about. */
function reportingByProperty(validate: ValidateFunction): ValidateFunction {
  const wrapper = ((data: unknown, context?: Parameters<ValidateFunction>[1]) => {
    const valid = validate(data, context);
    wrapper.errors = valid ? null : (validate.errors ?? []).map(namingTheProperty);
    return valid;
  }) as ValidateFunction;
  // Fastify passes the parent object when a validator has a schemaEnv, so that ajv may replace a
  // coerced root value.
  return Object.assign(wrapper, { schema: validate.schema, schemaEnv: validate.schemaEnv });
}

/** Fastify's validator compiler for every route: strict for bodies, coercing for text parts. */
export const requestValidatorCompiler: FastifySchemaCompiler<object> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? strictAjv : textAjv;
  const id = (schema as { $id?: string }).$id;
  return reportingByProperty((id ? ajv.getSchema(id) : undefined) ?? ajv.compile(schema));
};
