/** The ARM deployment template shape the renderer emits (languageVersion 1.0: `resources` is an array). */

export const DEPLOYMENT_TEMPLATE_SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';

export interface ArmResource {
  type: string;
  apiVersion: string;
  /** Full name (`server/database` for a child declared at the top level), or an ARM expression. */
  name: string;
  /** Extension resources (diagnostic settings, role assignments): the id of the resource they attach to. */
  scope?: string;
  location?: string;
  tags?: Record<string, string>;
  kind?: string;
  sku?: object;
  identity?: object;
  /** Absent for the few types whose schema has none (a user-assigned identity). */
  properties?: object;
  /** `resourceId(...)` expressions of resources in the same template that must exist first. */
  dependsOn?: string[];
}

export interface ArmParameter {
  type: 'string' | 'int' | 'bool' | 'object' | 'array';
  defaultValue?: unknown;
  metadata?: { description: string };
}

export interface ArmOutput {
  type: 'string' | 'int';
  value: string | number;
}

export interface ArmTemplate {
  $schema: typeof DEPLOYMENT_TEMPLATE_SCHEMA;
  contentVersion: string;
  metadata: { description: string };
  parameters: Record<string, ArmParameter>;
  resources: ArmResource[];
  outputs: Record<string, ArmOutput>;
}

/** A resource whose `properties` is typed with an Azure SDK model; `undefined` for a type whose schema has no properties. */
export type TypedResource<Properties> = Omit<ArmResource, 'properties'> &
  (Properties extends undefined ? { properties?: never } : { properties: Properties });

/**
 * The classic (AutoRest) SDKs have no model for a resource's `properties`: they "flatten" it into
 * the resource model next to the envelope (`id`, `location`, `sku`, ...). Dropping the envelope
 * keys leaves the properties model, with its excess-property checks intact.
 */
type EnvelopeKey =
  | 'id'
  | 'name'
  | 'type'
  | 'location'
  | 'tags'
  | 'sku'
  | 'kind'
  | 'identity'
  | 'systemData'
  | 'etag'
  | 'zones'
  | 'managedBy'
  | 'extendedLocation'
  | 'plan';
export type FlattenedProperties<Model> = Omit<Model, EnvelopeKey>;

/**
 * Array items that are sub-resources on the wire (`{name, properties: {...}}`: subnets,
 * delegations, private link connections) but flattened in the classic SDK models.
 */
export interface SubResourceBody<Properties> {
  name: string;
  properties: Properties;
}
