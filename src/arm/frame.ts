import type { JsonPath } from '../core/json-path.js';
import { providerPath } from '../core/resource-id.js';
import type { JudgedResource } from './deployed.js';
import type { ExpressionScope } from './expressions.js';
import type { Json } from './values.js';

/**
 * Where a template deploys while the resolver expands it: one frame for the root template and
 * one for each inline nested deployment, each with its own subscription, resource group and
 * symbols, and the ids of the resources it deploys.
 */

/** Where a frame deploys, and what it inherits from the deployment that holds it. */
export interface FrameTarget {
  subscriptionId: string;
  resourceGroup: string;
  deploymentName: string;
  depth: number;
  inherited: string[];
}

/** One template being expanded: the root, or an inline nested deployment. */
export interface Frame {
  template: Json;
  /** Where the template stands in the file. */
  path: JsonPath;
  scope: ExpressionScope;
  subscriptionId: string;
  resourceGroup: string;
  depth: number;
  /** languageVersion 2.0 symbolic names of this template, to their resources (several for a copy loop). */
  symbols: Map<string, SymbolTarget>;
  /** Inline nested deployments of this template by lower-case name, for `reference(...).outputs`. */
  deployments: Map<string, NestedDeployment>;
  /** Dependencies every resource of this template inherits from the deployment that holds it. */
  inherited: string[];
  resourceCount: number;
}

/** What a languageVersion 2.0 symbol names. */
export interface SymbolTarget {
  ids: string[];
  /** A module's symbol stands for every resource the module deploys. */
  module?: NestedDeployment;
}

/** An inline nested deployment (a Bicep module), known by name before it is expanded (nested.ts). */
export interface NestedDeployment {
  declaration: Json;
  path: JsonPath;
  frame?: Frame;
  /** The module's resources, once expanded. */
  resources: JudgedResource[];
  expanding: boolean;
  outputs?: unknown;
  parentFrame: Frame;
  scope: ExpressionScope;
  id: string;
}

/** A resource's id in the frame's subscription and resource group. */
export function idOf(frame: Frame, type: string, name: string): string {
  return `/subscriptions/${frame.subscriptionId}/resourceGroups/${frame.resourceGroup}${providerPath(type, [name])}`;
}

/** An extension resource's scope: a full id, a symbolic name, or Bicep's relative `Microsoft.KeyVault/vaults/<name>`. */
export function scopeIdOf(frame: Frame, scope: string): string {
  if (scope.startsWith('/')) return scope;
  const symbol = frame.symbols.get(scope);
  if (symbol?.ids[0]) return symbol.ids[0];
  const segments = scope.split('/');
  if (segments.length >= 3 && segments.length % 2 === 1) {
    const type = [segments[0], ...segments.slice(1).filter((_, i) => i % 2 === 0)].join('/');
    const names = segments.slice(1).filter((_, i) => i % 2 === 1);
    return idOf(frame, type, names.join('/'));
  }
  return scope;
}

/** Records that a languageVersion 2.0 symbol names a resource (each copy of a loop adds one). */
export function addSymbol(frame: Frame, symbol: string, id: string): void {
  const target = frame.symbols.get(symbol) ?? { ids: [] };
  target.ids.push(id.toLowerCase());
  frame.symbols.set(symbol, target);
}
