import { apiVersionsWithSchema, hasSchemaFor, validateResourceBody } from './schema.js';
import { AVAILABLE_REGIONS, KNOWN_IMAGE_PORTS, typeSpec } from './catalog.js';
import { isValidName, nameRuleOf } from './names.js';
import { providerPath } from '../../src/core/resource-id.js';

export type Json = Record<string, unknown>;

/** ARM's error body: `{ error: { code, message, target?, details? } }`. */
export interface ArmErrorBody {
  code: string;
  message: string;
  target?: string;
  details?: ArmErrorBody[];
}

/** An ARM error with its HTTP status, thrown inside the endpoint and sent as ARM's error shape. */
export class ArmError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ArmErrorBody[] = [],
    readonly target?: string,
  ) {
    super(message);
  }

  body(): ArmErrorBody {
    return {
      code: this.code,
      message: this.message,
      ...(this.target ? { target: this.target } : {}),
      ...(this.details.length ? { details: this.details } : {}),
    };
  }
}

/** A resource id taken apart. Extension resources (diagnostic settings, role assignments) carry the id they extend. */
export interface ParsedId {
  subscriptionId: string;
  resourceGroup: string;
  /** Full type, e.g. `Microsoft.Sql/servers/databases`. */
  type: string;
  /** Full name, e.g. `server/database`. */
  name: string;
  scopeId?: string;
}

/**
 * Parses `/subscriptions/s/resourceGroups/g/providers/ns/t1/n1[/t2/n2...][/providers/ns/t/n]`.
 * With `collection`, the path may end at a type (`.../servers/s1/databases`): the name is then empty.
 */
export function parseResourceId(path: string, collection = false): ParsedId | undefined {
  const segments = path.split('/').filter(Boolean);
  if (
    segments[0]?.toLowerCase() !== 'subscriptions' ||
    segments[2]?.toLowerCase() !== 'resourcegroups' ||
    segments[4]?.toLowerCase() !== 'providers'
  )
    return undefined;
  const lastProviders = segments.map((s) => s.toLowerCase()).lastIndexOf('providers');
  const tail = segments.slice(lastProviders + 1);
  const [namespace, ...pairs] = tail;
  if (!namespace || pairs.length === 0) return undefined;
  if (pairs.length % 2 === 1 && !collection) return undefined;
  const types = pairs.filter((_, i) => i % 2 === 0);
  const names = pairs.filter((_, i) => i % 2 === 1);
  const scopeId = lastProviders > 4 ? `/${segments.slice(0, lastProviders).join('/')}` : undefined;
  return {
    subscriptionId: segments[1] as string,
    resourceGroup: segments[3] as string,
    type: `${namespace}/${types.join('/')}`,
    name: names.join('/'),
    ...(scopeId ? { scopeId } : {}),
  };
}

export function resourceIdOf(subscriptionId: string, resourceGroup: string, type: string, name: string, scopeId?: string): string {
  return `${scopeId ?? `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`}${providerPath(type, [name])}`;
}

/** The parent's id of a child resource id, or undefined for a top-level resource. */
export function parentIdOf(id: string): string | undefined {
  const parsed = parseResourceId(id);
  if (!parsed || parsed.type.split('/').length <= 2) return undefined;
  return resourceIdOf(
    parsed.subscriptionId,
    parsed.resourceGroup,
    parsed.type.split('/').slice(0, -1).join('/'),
    parsed.name.split('/').slice(0, -1).join('/'),
    parsed.scopeId,
  );
}

/** Body keys outside `properties` that a resource keeps. */
export const ENVELOPE_KEYS = ['location', 'tags', 'sku', 'kind', 'identity', 'zones', 'plan'] as const;

export interface StoredResource {
  id: string;
  type: string;
  name: string;
  resourceGroup: string;
  apiVersion: string;
  envelope: Json;
  /** What the client sent (and manual changes since): the provider's read-only properties are added on read. */
  properties: Json;
  /** `Waiting`: a private endpoint connection that waits for the resource owner's approval. */
  provisioningState: 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Waiting';
  /** Made by the provider with its parent (a SQL server's `master` database), not by any template. */
  implicit?: boolean;
}

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Merges `patch` into `target` as ARM's PATCH does: objects merge, everything else replaces. */
export function mergeDeep(target: Json, patch: Json): Json {
  const result: Json = { ...target };
  for (const [key, value] of Object.entries(patch))
    result[key] = isObject(value) && isObject(result[key]) ? mergeDeep(result[key] as Json, value) : value;
  return result;
}

export function missingApiVersion(): ArmError {
  return new ArmError(400, 'MissingApiVersionParameter', 'The api-version query parameter (?api-version=) is required for all requests.');
}

/** The api-versions the sandbox serves a type at: those Microsoft's schemas define. */
export function apiVersionProblem(type: string, apiVersion: string | undefined, location?: string): ArmError | undefined {
  const spec = typeSpec(type);
  const [namespace] = type.split('/');
  if (!spec)
    return new ArmError(
      400,
      'InvalidResourceType',
      `The resource type '${type.split('/').slice(1).join('/')}' could not be found in the namespace '${namespace}' for api version '${apiVersion ?? ''}'.`,
    );
  if (!apiVersion) return missingApiVersion();
  if (hasSchemaFor(type, apiVersion)) return undefined;
  return new ArmError(
    400,
    'NoRegisteredProviderFound',
    `No registered resource provider found for location '${location ?? 'global'}' and API version '${apiVersion}' for type '${type.split('/').slice(1).join('/')}'. The supported api-versions are '${apiVersionsWithSchema(type).join(', ')}'.`,
  );
}

/**
 * Who finds a problem with a resource body. Resource Manager itself checks the region it offers the
 * type in; the resource provider checks the name, global names and the body (its preflight). A
 * deployment's preflight nests the provider's findings under `PreflightValidationCheckFailed`.
 */
export interface BodyProblem {
  by: 'resource-manager' | 'provider';
  problem: ArmErrorBody;
}

/** Checks a body as Resource Manager and the resource provider do before accepting it: location, name, schema. Returns every problem. */
export function bodyProblems(
  resource: { id: string; type: string; name: string },
  apiVersion: string,
  body: Json,
  options: { nameTaken?: boolean } = {},
): BodyProblem[] {
  const { id, type } = resource;
  const problems: BodyProblem[] = [];
  const provider = (problem: ArmErrorBody) => problems.push({ by: 'provider', problem });
  const spec = typeSpec(type);
  const name = resource.name.split('/').at(-1) as string;
  const shortType = type.split('/').slice(1).join('/');
  const nameRule = nameRuleOf(type);
  const nameInvalid = nameRule !== undefined && !isValidName(nameRule, name);
  if (nameInvalid && type.toLowerCase() === 'microsoft.storage/storageaccounts') {
    // The storage provider's own code and words (PostDeploymentValidateOnResourceGroup.json, 2025-04-01).
    provider({
      code: 'AccountNameInvalid',
      target: id,
      message: `${name} is not a valid storage account name. Storage account name must be between 3 and 24 characters in length and use numbers and lower-case letters only.`,
    });
  } else if (nameInvalid && nameRule) {
    provider({
      code: 'InvalidResourceName',
      target: id,
      message: `Resource name '${name}' is invalid for type '${type}': a ${nameRule.what} has ${nameRule.words}.`,
    });
  }
  if (spec?.globalName && options.nameTaken) provider({ code: spec.globalName.code, target: id, message: spec.globalName.message(name) });
  const location = body['location'];
  if (typeof location === 'string' && location.toLowerCase() !== 'global') {
    const region = location.toLowerCase().replace(/\s+/g, '');
    if (!AVAILABLE_REGIONS.includes(region) || spec?.unavailableIn?.includes(region)) {
      problems.push({
        by: 'resource-manager',
        problem: {
          code: 'LocationNotAvailableForResourceType',
          target: id,
          message: `The provided location '${location}' is not available for resource type '${type}'. List of available regions for the resource type is '${AVAILABLE_REGIONS.filter((r) => !spec?.unavailableIn?.includes(r)).join(',')}'.`,
        },
      });
    }
  }
  if (hasSchemaFor(type, apiVersion)) {
    const result = validateResourceBody({ ...body, type, apiVersion, name: resource.name });
    // A bad name is reported once, in the provider's words above.
    const errors = result.ok ? [] : result.errors.filter((error) => !(nameInvalid && /^name\b/.test(error)));
    if (errors.length > 0)
      provider({
        code: 'InvalidRequestContent',
        target: id,
        message: `The request content was invalid for ${shortType} at api-version ${apiVersion}: ${errors.join('; ')}`,
      });
  } else if (body['properties'] !== undefined && !isObject(body['properties'])) {
    provider({ code: 'InvalidRequestContent', target: id, message: `The request content was invalid: properties must be an object.` });
  }
  return problems;
}

/** A Container Apps revision fails to start when its probes and ingress ask a known image for a port it does not listen on. */
export function revisionProblem(name: string, properties: Json): ArmErrorBody | undefined {
  const template = properties['template'] as Json | undefined;
  const containers = (template?.['containers'] as Json[] | undefined) ?? [];
  const ingressPort = ((properties['configuration'] as Json | undefined)?.['ingress'] as Json | undefined)?.['targetPort'];
  for (const container of containers) {
    const image = String(container['image'] ?? '').replace(/:[^/:]+$/, '');
    const listens = KNOWN_IMAGE_PORTS[image];
    if (listens === undefined) continue;
    const probePorts = ((container['probes'] as Json[] | undefined) ?? [])
      .map((probe) => (probe['httpGet'] as Json | undefined)?.['port'])
      .filter((port) => port !== undefined);
    const wrong = [ingressPort, ...probePorts].find((port) => port !== undefined && port !== listens);
    if (wrong !== undefined) {
      return {
        code: 'ContainerAppOperationError',
        message: `Failed to provision revision for container app '${name}'. Error details: The startup probe of container '${String(container['name'])}' failed: image '${String(container['image'])}' listens on port ${listens}, but the app's ingress or probes use port ${String(wrong)}. Operation expired.`,
      };
    }
  }
  return undefined;
}
