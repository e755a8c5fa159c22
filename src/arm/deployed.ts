import type { JsonPath, SourceLocation } from '../core/json-path.js';
import type { UnknownValue } from './values.js';

/**
 * What a deployment deploys, in ARM's JSON shape: the resources a template resolves to (and the
 * live gate reads back), linked as ARM links them. The gate's three inputs (the rendered config,
 * a user's ARM template, live resources) all become one `JudgedEnvironment`, which the
 * compliance layer judges; it lives here because the template resolver builds it.
 */

export type InputKind = 'config' | 'template' | 'live';

export interface InputDescription {
  kind: InputKind;
  /** A file path, or `subscriptions/<id>/resourceGroups/<name>` for live input. */
  source: string;
}

/**
 * One resource as the gate sees it. `body` is the resource in ARM JSON shape (`properties`, `sku`,
 * `kind`, `identity`, `tags`, `location`, ...) after parameters and variables are resolved;
 * any node of it may be an `UnknownValue`.
 */
export interface JudgedResource {
  /** Full type, e.g. `Microsoft.Sql/servers/databases`. */
  type: string;
  /** Full name, e.g. `seniorly-prod-sql/SeniorHealthAnalytics`. */
  name: string;
  /** Resource id (`/subscriptions/.../providers/<type>/<name>`). */
  id: string;
  apiVersion?: string;
  body: Record<string, unknown>;
  /** The parent of a child resource (`servers` for `servers/databases`). */
  parent?: JudgedResource;
  /** Child resources, declared nested or top-level. */
  children: JudgedResource[];
  /** Extension resources scoped to this one (diagnostic settings, role assignments). */
  extensions: JudgedResource[];
  /**
   * Set on a resource the template does not deploy but writes to (see JudgedEnvironment.existing):
   * why it is not deployed.
   */
  notDeployed?: string;
  /** Set when the resource's `condition` could not be evaluated: it may or may not be deployed. */
  conditionUnknown?: UnknownValue;
  /**
   * Lower-case ids of the resources ARM must finish before this one: its `dependsOn` (a module's
   * reach every resource of the module), its parent, and what its nested deployment depends on.
   * Decides which of two resources writing one setting is applied last.
   */
  dependsOn?: string[];
  /** Where a property of `body` stands in the input file, for SARIF and annotations. */
  locate?: (path: JsonPath) => SourceLocation | undefined;
}

export interface JudgedEnvironment {
  input: InputDescription;
  /** Every resource, flat: top-level, children and extension resources alike. */
  resources: JudgedResource[];
  /**
   * Resources the template writes to but does not deploy: `existing` ones, the parent of a nested
   * child whose own condition is false (a condition does not cascade), and resources named only
   * by a child's or an extension's id. Judged only on what the template writes to them.
   */
  existing?: JudgedResource[];
  /** Problems met while reading the input that no resource owns (they become `unknown` findings). */
  unresolved: { message: string; location?: SourceLocation }[];
  /** Mistakes ARM itself would refuse the template for (they become one failing `template.valid` finding each). */
  problems?: { message: string; location?: SourceLocation }[];
  /** Declared parameters with no value and no default: the values built from them are unknown. */
  missingParameters?: string[];
}
