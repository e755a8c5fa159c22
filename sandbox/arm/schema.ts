import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import AjvDraft04 from 'ajv-draft-04';
import type { ErrorObject, ValidateFunction } from 'ajv-draft-04';

/**
 * Validates resource bodies against Microsoft's official ARM template JSON schemas
 * (`reference/arm-schemas`, draft-04). Three things make those schemas stricter here than in the
 * files, all on purpose:
 *  - Objects with declared properties reject undeclared ones. The files leave
 *    `additionalProperties` open, which would let a misspelled property name through.
 *  - Every property, array item and map value also accepts an ARM expression (`"[...]"`). The
 *    files allow expressions in most places via `#/definitions/expression`, but not in all (names,
 *    nested array items); ARM itself accepts an expression anywhere.
 *  - A few documented service limits the files leave out (`SERVICE_LIMITS`).
 */

export const ARM_SCHEMAS_ENV = 'AZURE_HIPAA_ARM_SCHEMAS';

const COMMON_DEFINITIONS_ID = 'https://schema.management.azure.com/schemas/common/definitions.json';
const EXPRESSION_REF = `${COMMON_DEFINITIONS_ID}#/definitions/expression`;
/**
 * Where Azure differs from the schema files: limits they leave out (they say "allowed values are per
 * pricing plan"; learn.microsoft.com "Manage data retention in a Log Analytics workspace", read
 * 2026-11), and a type the REST spec gives that the generator lost.
 */
const SERVICE_LIMITS: readonly { provider: string; definition: string; property: string; limit: JsonSchema }[] = [
  {
    provider: 'Microsoft.OperationalInsights',
    definition: 'WorkspaceProperties',
    property: 'retentionInDays',
    limit: { minimum: 30, maximum: 730 },
  },
  // The REST spec (consumption.json 2024-08-01) types a budget's amount as a decimal, its example PUTs 100.65;
  // the schema generator wrote the decimal as an integer.
  { provider: 'Microsoft.Consumption', definition: 'BudgetProperties', property: 'amount', limit: { type: 'number' } },
];

/** Keys of a template resource that belong to the deployment, not to the resource provider's body. */
const DEPLOYMENT_KEYS = ['dependsOn', 'condition', 'copy', 'comments', 'scope', 'existing'] as const;

export interface ResourceBody {
  type: string;
  apiVersion: string;
  name: string;
  properties?: unknown;
  [key: string]: unknown;
}

export interface ValidateOptions {
  /**
   * The resource is declared inside its parent's `resources` array: `type` is still the full type
   * (`Microsoft.Sql/servers/databases`), the body's own `type` may be the short one (`databases`).
   */
  nested?: boolean;
}

export type ValidationResult = { ok: true } | { ok: false; errors: string[] };

type JsonSchema = Record<string, unknown>;

interface SchemaFile {
  id: string;
  /** Lower-cased resource definition key (`servers_databases`) -> its real spelling. */
  definitions: Map<string, string>;
}

let schemaDirectory: string | undefined;
let ajv: InstanceType<typeof AjvDraft04.default> | undefined;
const files = new Map<string, SchemaFile>();
const validators = new Map<string, ValidateFunction>();

/** Whether a schema file covers this resource type at this api-version. */
export function hasSchemaFor(type: string, apiVersion: string, options: ValidateOptions = {}): boolean {
  return definitionFor(type, apiVersion, options) !== undefined;
}

/** The api-versions that have a schema for this type, newest first. */
export function apiVersionsWithSchema(type: string): string[] {
  const [provider] = type.split('/');
  const versions = new Set(
    readdirSync(armSchemaDirectory())
      .map((name) => /^(\d{4}-\d{2}-\d{2}(?:-preview)?)_(.+?)(?:\.[^.]+)?\.json$/i.exec(name))
      .filter((match) => match !== null && match[2]?.toLowerCase() === provider?.toLowerCase())
      .map((match) => (match as RegExpExecArray)[1] as string)
      .filter((apiVersion) => hasSchemaFor(type, apiVersion)),
  );
  return [...versions].sort().reverse();
}

/**
 * The resource with each property name spelled as its provider's schema spells it: ARM reads property
 * names case-insensitively and answers in its own spelling (a metric alert action's `webhookProperties`
 * comes back `webHookProperties`, 2018-03-01 examples). Unknown names stay as they are, for validation to refuse.
 */
export function withSchemaSpelling(resource: ResourceBody): ResourceBody {
  const definition = definitionFor(resource.type, resource.apiVersion, {});
  if (!definition) return resource;
  const validate = validatorFor(definition);
  const copy = structuredClone(resource);
  // Each pass renames what the errors show; a renamed object may reveal names deeper down.
  for (let pass = 0; pass < 10; pass++) {
    validate(copy);
    const renamed = (validate.errors ?? []).filter((error) => renameToSchemaSpelling(copy, error));
    if (renamed.length === 0) break;
  }
  return copy;
}

function renameToSchemaSpelling(body: ResourceBody, error: ErrorObject): boolean {
  if (error.keyword !== 'additionalProperties') return false;
  const given = String((error.params as { additionalProperty?: string }).additionalProperty);
  const known = Object.keys(((error.parentSchema as JsonSchema | undefined)?.properties ?? {}) as JsonSchema);
  const spelling = known.find((key) => key.toLowerCase() === given.toLowerCase() && key !== given);
  const target = error.instancePath
    .split('/')
    .slice(1)
    .reduce<unknown>(
      (node, segment) => (node as Record<string, unknown> | undefined)?.[segment.replace(/~1/g, '/').replace(/~0/g, '~')],
      body,
    );
  if (!spelling || !isSchema(target) || !(given in target) || spelling in target) return false;
  target[spelling] = target[given];
  Reflect.deleteProperty(target, given);
  return true;
}

/** Validates one resource against its provider's schema; the errors name the property path and the problem. */
export function validateResourceBody(resource: ResourceBody, options: ValidateOptions = {}): ValidationResult {
  const definition = definitionFor(resource.type, resource.apiVersion, options);
  if (!definition)
    return { ok: false, errors: [`no ARM schema for ${resource.type} at api-version ${resource.apiVersion} in ${armSchemaDirectory()}`] };
  const validate = validatorFor(definition);
  const body: Record<string, unknown> = Object.fromEntries(
    Object.entries(resource).filter(([key]) => !(DEPLOYMENT_KEYS as readonly string[]).includes(key)),
  );
  const typeSegments = resource.type.split('/').length - 1;
  if (options.nested) body.type = resource.type.split('/').at(-1);
  const topLevelChild = !options.nested && typeSegments > 1 && !isExpression(resource.name);
  const nameSegments = resource.name.split('/');
  if (topLevelChild && nameSegments.length !== typeSegments) {
    return {
      ok: false,
      errors: [
        `name: "${resource.name}" has ${nameSegments.length} segment(s); ${resource.type} declared at the top level needs ${typeSegments} (parent/child)`,
      ],
    };
  }
  const errors = errorsOf(validate, body);
  if (errors.length === 0) return { ok: true };
  if (!topLevelChild) return { ok: false, errors };
  // A child declared at the top level is named `parent/child`. Some files write the name rule for
  // the full name (`^.*/default$`), others for the child's own segment: accept either.
  const segmentErrors = errorsOf(validate, { ...body, name: nameSegments.at(-1) });
  if (segmentErrors.length === 0) return { ok: true };
  return { ok: false, errors: segmentErrors.length < errors.length ? segmentErrors : errors };
}

/** The schema directory: `$AZURE_HIPAA_ARM_SCHEMAS`, else `reference/arm-schemas` found from this module or the working directory. */
export function armSchemaDirectory(): string {
  if (schemaDirectory) return schemaDirectory;
  const fromEnvironment = process.env[ARM_SCHEMAS_ENV];
  const here = dirname(fileURLToPath(import.meta.url));
  // This module runs from sandbox/arm/ and cli/dist/ (two levels below the repository root); three levels is a bundle under actions/<name>/dist/.
  const candidates = fromEnvironment
    ? [resolve(fromEnvironment)]
    : [
        resolve(here, '../../reference/arm-schemas'),
        resolve(here, '../../../reference/arm-schemas'),
        resolve(process.cwd(), 'reference/arm-schemas'),
      ];
  const found = candidates.find((candidate) => existsSync(join(candidate, 'common_definitions.json')));
  if (!found)
    throw new Error(
      `ARM template schemas not found (looked in ${candidates.join(', ')}); set ${ARM_SCHEMAS_ENV} to the reference/arm-schemas directory`,
    );
  schemaDirectory = found;
  return found;
}

function definitionFor(
  type: string,
  apiVersion: string,
  options: ValidateOptions,
): { file: SchemaFile; key: string; nested: boolean } | undefined {
  const [provider, ...segments] = type.split('/');
  if (!provider || segments.length === 0) return undefined;
  const nested = options.nested === true && segments.length > 1;
  const wanted = `${segments.join('_')}${nested ? '_childresource' : ''}`.toLowerCase();
  for (const file of schemaFiles(provider, apiVersion)) {
    const key = file.definitions.get(wanted);
    if (key) return { file, key, nested };
  }
  return undefined;
}

/** A provider's schema files at an api-version: `<apiVersion>_<Provider>.json`, or split by area (`..._Microsoft.Network.privateDns.json`). */
function schemaFiles(provider: string, apiVersion: string): SchemaFile[] {
  const prefix = `${apiVersion}_${provider}`.toLowerCase();
  return readdirSync(armSchemaDirectory())
    .filter((name) => {
      const lower = name.toLowerCase();
      return lower === `${prefix}.json` || (lower.startsWith(`${prefix}.`) && lower.endsWith('.json'));
    })
    .map((name) => schemaFile(name, provider));
}

function schemaFile(fileName: string, provider: string): SchemaFile {
  const cached = files.get(fileName);
  if (cached) return cached;
  const schema = JSON.parse(readFileSync(join(armSchemaDirectory(), fileName), 'utf8')) as JsonSchema;
  const id = String(schema.id).replace(/#$/, '');
  const definitions = new Map<string, string>();
  for (const key of Object.keys((schema.resourceDefinitions ?? {}) as JsonSchema)) definitions.set(key.toLowerCase(), key);
  for (const key of Object.keys((schema.definitions ?? {}) as JsonSchema)) {
    if (key.endsWith('_childResource')) definitions.set(key.toLowerCase(), key);
  }
  validatorFactory().addSchema(tighten(withServiceLimits(schema, provider)), id);
  const file = { id, definitions };
  files.set(fileName, file);
  return file;
}

function errorsOf(validate: ValidateFunction, body: Record<string, unknown>): string[] {
  return validate(body) ? [] : describeErrors(validate.errors ?? []);
}

function validatorFor(definition: { file: SchemaFile; key: string; nested: boolean }): ValidateFunction {
  const section = definition.nested ? 'definitions' : 'resourceDefinitions';
  const ref = `${definition.file.id}#/${section}/${definition.key}`;
  let validate = validators.get(ref);
  if (!validate) {
    validate = validatorFactory().compile({ $ref: ref });
    validators.set(ref, validate);
  }
  return validate;
}

function validatorFactory(): InstanceType<typeof AjvDraft04.default> {
  if (!ajv) {
    // Formats are documentation in these files (e.g. "uuid" on ids that may be expressions); the patterns and enums carry the rules.
    // verbose: an error carries its schema, so a misspelt-by-case property can be matched to the schema's spelling.
    ajv = new AjvDraft04.default({ allErrors: true, strict: false, validateFormats: false, logger: false, verbose: true });
    const common = JSON.parse(readFileSync(join(armSchemaDirectory(), 'common_definitions.json'), 'utf8')) as JsonSchema;
    ajv.addSchema(common, COMMON_DEFINITIONS_ID);
  }
  return ajv;
}

function withServiceLimits(schema: JsonSchema, provider: string): JsonSchema {
  const copy = structuredClone(schema);
  const definitions = (copy.definitions ?? {}) as Record<string, JsonSchema>;
  for (const { definition, property, limit } of SERVICE_LIMITS.filter((entry) => entry.provider.toLowerCase() === provider.toLowerCase())) {
    const properties = definitions[definition]?.properties as Record<string, JsonSchema> | undefined;
    const target = properties?.[property];
    if (!properties || !target) continue;
    // The value's own schema is the non-expression branch of `oneOf: [value, expression]`.
    const branches = (target.oneOf as JsonSchema[] | undefined) ?? [target];
    const valueBranch = branches.find((branch) => branch.$ref !== EXPRESSION_REF);
    if (valueBranch) Object.assign(valueBranch, limit);
  }
  return copy;
}

/** A copy of a provider schema with closed objects and expressions allowed everywhere (see the module comment). */
function tighten(schema: JsonSchema): JsonSchema {
  const copy = { ...schema };
  for (const section of ['resourceDefinitions', 'definitions'] as const) {
    const definitions = (schema[section] ?? {}) as Record<string, JsonSchema>;
    copy[section] = Object.fromEntries(Object.entries(definitions).map(([key, definition]) => [key, tightenNode(definition, false)]));
  }
  return copy;
}

function tightenNode(node: JsonSchema, insideAllOf: boolean): JsonSchema {
  const result: JsonSchema = { ...node };
  const properties = node.properties as Record<string, JsonSchema> | undefined;
  if (properties) {
    result.properties = Object.fromEntries(
      Object.entries(properties).map(([key, value]) => [key, allowExpression(tightenNode(value, false))]),
    );
  }
  if (isSchema(node.items)) result.items = allowExpression(tightenNode(node.items, false));
  if (isSchema(node.additionalProperties)) result.additionalProperties = allowExpression(tightenNode(node.additionalProperties, false));
  for (const keyword of ['oneOf', 'anyOf'] as const) {
    const variants = node[keyword] as JsonSchema[] | undefined;
    if (!variants) continue;
    // Discriminated unions keep the shared properties on the outer schema: a closed variant must also accept them.
    result[keyword] = variants.map((variant) =>
      tightenNode(
        properties && variant.properties ? { ...variant, properties: { ...properties, ...(variant.properties as JsonSchema) } } : variant,
        false,
      ),
    );
  }
  if (node.allOf) result.allOf = (node.allOf as JsonSchema[]).map((part) => tightenNode(part, true));
  // The generator writes a discriminated union as allOf [a closed base holding only the discriminator, oneOf the
  // variants]: closed, that base would refuse every variant's properties. Each variant is closed on its own instead.
  if (insideAllOf && node.additionalProperties === false) delete result.additionalProperties;
  const declaresProperties = properties !== undefined && Object.keys(properties).length > 0;
  // Parts of an allOf see only their own properties, and a union's outer schema sees none of its variants': closing those would reject valid bodies.
  if (declaresProperties && node.additionalProperties === undefined && !insideAllOf && !node.allOf && !node.oneOf && !node.anyOf)
    result.additionalProperties = false;
  return result;
}

function allowExpression(schema: JsonSchema): JsonSchema {
  if (schema.$ref === EXPRESSION_REF) return schema;
  return { anyOf: [schema, { $ref: EXPRESSION_REF }] };
}

function isExpression(value: string): boolean {
  return value.startsWith('[') && !value.startsWith('[[');
}

function isSchema(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Ajv reports every branch of every union. Keep the errors that say what is wrong with the value:
 * drop the "is not an expression" branch the tightening added, and the bare "must match a schema in
 * anyOf/oneOf" summaries when a more specific error explains the same place.
 */
function describeErrors(errors: readonly ErrorObject[]): string[] {
  const specific = errors.filter(
    (error) =>
      !error.schemaPath.includes('/definitions/expression') &&
      error.keyword !== 'anyOf' &&
      error.keyword !== 'oneOf' &&
      error.keyword !== '$ref',
  );
  const explained = (error: ErrorObject) => specific.some((other) => other.instancePath.startsWith(error.instancePath));
  const summaries = errors.filter((error) => (error.keyword === 'anyOf' || error.keyword === 'oneOf') && !explained(error));
  const messages = [...specific, ...summaries].map((error) => `${pointerToPath(error.instancePath)}: ${messageOf(error)}`);
  return [...new Set(messages)];
}

function messageOf(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperty':
    case 'additionalProperties':
      return `unknown property "${String(params.additionalProperty)}"`;
    case 'enum':
      return `must be one of ${(params.allowedValues as unknown[]).map((value) => JSON.stringify(value)).join(', ')}`;
    case 'required':
      return `missing required property "${String(params.missingProperty)}"`;
    default:
      return error.message ?? error.keyword;
  }
}

function pointerToPath(pointer: string): string {
  if (pointer === '') return '(resource)';
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}
