import { resolveTemplate, type ResolveOptions } from '../../src/arm/resolve.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import type { InputKind, JudgedEnvironment, JudgedResource } from '../../src/arm/deployed.js';
import { DEFAULT_GATE_POLICY } from '../../src/compliance/model.js';
import type { ControlContext } from '../../src/compliance/control.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { providerPath } from '../../src/core/resource-id.js';

export interface ResourceSpec {
  type: string;
  name: string;
  apiVersion?: string;
  body?: Record<string, unknown>;
  children?: ResourceSpec[];
  /** Extension resources (diagnostic settings, role assignments) scoped to this one. */
  extensions?: ResourceSpec[];
}

/** Builds a resource and its children and extensions, linked both ways, as the template resolver does. */
export function resource(spec: ResourceSpec, parent?: JudgedResource): JudgedResource {
  const name = parent ? `${parent.name}/${spec.name}` : spec.name;
  const built: JudgedResource = {
    type: spec.type,
    name,
    id: `/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg${providerPath(spec.type, [name])}`,
    ...(spec.apiVersion ? { apiVersion: spec.apiVersion } : {}),
    body: spec.body ?? {},
    ...(parent ? { parent } : {}),
    children: [],
    extensions: [],
  };
  built.children = (spec.children ?? []).map((child) => resource(child, built));
  // Extension resources are named by their scope's id, as ARM names them.
  built.extensions = (spec.extensions ?? []).map((extension) => ({
    ...resource(extension),
    id: `${built.id}${providerPath(extension.type, [extension.name])}`,
  }));
  return built;
}

/** Every resource of the trees, flat, as JudgedEnvironment.resources holds them. */
export function flatten(roots: JudgedResource[]): JudgedResource[] {
  return roots.flatMap((root) => [root, ...flatten(root.children), ...root.extensions]);
}

export function environment(roots: JudgedResource[], kind: InputKind = 'template'): JudgedEnvironment {
  return { input: { kind, source: 'test.json' }, resources: flatten(roots), unresolved: [] };
}

export function context(roots: JudgedResource[] = [], overrides: Partial<ControlContext> = {}): ControlContext {
  return { policy: DEFAULT_GATE_POLICY, environment: environment(roots), now: new Date('2026-11-22T12:00:00Z'), ...overrides };
}

export const SCHEMA = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
export const WORKSPACE = "[resourceId('Microsoft.OperationalInsights/workspaces', 'logs')]";

/** Where a template is deployed: what resourceGroup(), subscription() and deployment() know. */
export type Target = Omit<ResolveOptions, 'source' | 'parameters'>;

/** The findings one control gives the resources of a minimal template, resolved as ARM reads it. */
export function templateFindings(control: string, resources: unknown, extra: Record<string, unknown> = {}, target: Target = {}) {
  const template = { $schema: SCHEMA, contentVersion: '1.0.0.0', ...extra, resources };
  const environment = resolveTemplate(template, { source: { file: 'main.json', value: template }, ...target });
  const report = evaluate(environment, {
    policy: DEFAULT_GATE_POLICY,
    now: new Date('2026-11-29T00:00:00Z'),
    controls: CONTROLS.filter((c) => c.id === control),
  });
  return report.findings.filter((f) => f.control === control);
}

/** The statuses one control gives the resources of a minimal template (`name: status`). */
export function statuses(control: string, resources: unknown, extra: Record<string, unknown> = {}, target: Target = {}): string[] {
  return templateFindings(control, resources, extra, target).map((f) => `${f.resource.name}: ${f.status}`);
}
