import { providerPath, typeAndNameOf } from '../core/resource-id.js';
import type { JudgedResource } from './deployed.js';
import type { Frame } from './frame.js';

/**
 * How a template's resources link up, as ARM links them: a top-level child to the parent of its
 * full id, an extension resource to the resource of its scope, each dependsOn entry to the ids it
 * names. A resource written to but not deployed gets a stand-in (JudgedEnvironment.existing).
 */

/** A resource whose links wait until every resource of the template is known. */
interface PendingLink {
  resource: JudgedResource;
  scopeId?: string;
  frame: Frame;
  dependsOn: unknown[];
}

export class Links {
  private readonly byId = new Map<string, JudgedResource>();
  /** Resources written to but not deployed, by lower-case id (see JudgedEnvironment.existing). */
  private readonly stubs = new Map<string, JudgedResource>();
  private readonly pending: PendingLink[] = [];
  private names: Map<string, string[]> | undefined;

  /** `resources`: every deployed resource, as the resolver adds them. */
  constructor(private readonly resources: JudgedResource[]) {}

  /**
   * Adds a deployed resource, known by its id at once unless it is an extension (its id depends
   * on its scope, so it is known once linked); its dependsOn entries are evaluated after that,
   * since evaluating them can expand a nested deployment that refers to it.
   */
  add(resource: JudgedResource, frame: Frame, scopeId: string | undefined, dependsOn: () => unknown[]): void {
    if (scopeId === undefined) this.byId.set(resource.id.toLowerCase(), resource);
    this.pending.push({ resource, ...(scopeId !== undefined ? { scopeId } : {}), frame, dependsOn: dependsOn() });
  }

  /** The resources the template writes to but does not deploy. */
  existing(): JudgedResource[] {
    return [...this.stubs.values()];
  }

  /**
   * The resource at `id` that the template writes to: the deployed one, or a stand-in for one it
   * does not deploy (JudgedEnvironment.existing), made once.
   */
  stub(id: string, reason: string): JudgedResource {
    const lower = id.toLowerCase();
    const known = this.byId.get(lower) ?? this.stubs.get(lower);
    if (known) return known;
    const { type, name } = typeAndNameOf(id);
    const resource: JudgedResource = { type, name, id, body: {}, children: [], extensions: [], notDeployed: reason };
    this.stubs.set(lower, resource);
    return resource;
  }

  /** Links top-level children to their parents and extension resources to what they extend; resolves each dependsOn to ids. */
  link(): void {
    for (const { resource, scopeId, frame, dependsOn } of this.pending) {
      for (const entry of dependsOn) resource.dependsOn?.push(...this.dependencyIds(frame, entry));
      if (scopeId !== undefined) this.linkExtension(resource, scopeId);
      else if (!resource.parent && resource.type.split('/').length > 2) this.linkChild(resource);
    }
    for (const resource of this.resources) if (resource.dependsOn) resource.dependsOn = [...new Set(resource.dependsOn)];
  }

  /** An extension belongs to the resource of its scope's full id; a scope the template does not deploy is written to all the same. */
  private linkExtension(resource: JudgedResource, scopeId: string): void {
    const target = /\/providers\//i.test(scopeId)
      ? (this.byId.get(scopeId.toLowerCase()) ?? this.stub(scopeId, 'not deployed by this template'))
      : undefined;
    resource.id = `${target?.id ?? scopeId}${providerPath(resource.type, [resource.name])}`;
    if (target) {
      target.extensions.push(resource);
      if (!target.notDeployed) resource.dependsOn?.push(target.id.toLowerCase());
    }
  }

  /** A top-level child belongs to the parent of its full id (subscription and resource group included), never one of the same name elsewhere. */
  private linkChild(resource: JudgedResource): void {
    const parentId = resource.id.replace(/\/[^/]+\/[^/]+$/, '');
    const parent = this.byId.get(parentId.toLowerCase()) ?? this.stub(parentId, 'not deployed by this template');
    resource.parent = parent;
    parent.children.push(resource);
    if (!parent.notDeployed) resource.dependsOn?.push(parent.id.toLowerCase());
  }

  /** What a dependsOn entry names: a resource id, a languageVersion 2.0 symbol (a module: its every resource), or a bare name. */
  private dependencyIds(frame: Frame, entry: unknown): string[] {
    if (typeof entry !== 'string') return [];
    const symbol = frame.symbols.get(entry);
    if (symbol)
      return [
        ...symbol.ids,
        ...(symbol.module ? [symbol.module.id.toLowerCase(), ...symbol.module.resources.map((r) => r.id.toLowerCase())] : []),
      ];
    if (entry.startsWith('/')) {
      const lower = entry.toLowerCase();
      const module = [...frame.deployments.values()].find((deployment) => deployment.id.toLowerCase() === lower);
      return [lower, ...(module ? module.resources.map((r) => r.id.toLowerCase()) : [])];
    }
    return this.byName().get(entry.toLowerCase()) ?? [];
  }

  /** Resource ids by a lower-case name dependsOn may use: the full name, and its last segment. */
  private byName(): Map<string, string[]> {
    if (this.names) return this.names;
    const names = new Map<string, string[]>();
    for (const resource of this.resources) {
      const full = resource.name.toLowerCase();
      for (const name of new Set([full, full.split('/').at(-1) as string])) {
        const ids = names.get(name) ?? [];
        ids.push(resource.id.toLowerCase());
        names.set(name, ids);
      }
    }
    return (this.names = names);
  }
}
