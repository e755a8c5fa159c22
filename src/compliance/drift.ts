import { pathText, read, type PropertyValue } from './controls/access.js';
import type { PropertyRead } from './evaluate.js';
import type { JudgedEnvironment } from '../arm/deployed.js';
import type { Finding, GateReport } from './model.js';

/**
 * Adds drift to a live report: for each finding, every property its control read whose live value
 * differs from what the config plans, both values side by side. Values the plan cannot know
 * offline (reference() outputs) are not compared.
 */
export function addDrift(report: GateReport, reads: WeakMap<Finding, PropertyRead[]>, planned: JudgedEnvironment): void {
  const plannedById = new Map(planned.resources.map((resource) => [resource.id.toLowerCase(), resource]));
  for (const finding of report.findings) {
    const drift = new Map<string, { path: string; planned: unknown; live: unknown }>();
    for (const { resource, path } of reads.get(finding) ?? []) {
      const plannedResource = plannedById.get(resource.id.toLowerCase());
      if (!plannedResource) continue;
      const plannedValue = read(plannedResource, path);
      const liveValue = read(resource, path);
      if (plannedValue.kind === 'unknown' || liveValue.kind === 'unknown' || same(plannedValue, liveValue)) continue;
      const where = `${resource.name}: ${pathText(path)}`;
      drift.set(where, { path: where, planned: valueOf(plannedValue), live: valueOf(liveValue) });
    }
    if (drift.size > 0) finding.drift = [...drift.values()];
  }
}

function valueOf(value: PropertyValue): unknown {
  return value.kind === 'known' ? value.value : null;
}

/** ARM compares strings without case (`Disabled`, `disabled`), so drift does too. */
function same(a: PropertyValue, b: PropertyValue): boolean {
  if (a.kind !== b.kind) return false;
  const normalize = (value: unknown) =>
    JSON.stringify(value, (_key, item: unknown) => (typeof item === 'string' ? item.toLowerCase() : item));
  return normalize(valueOf(a)) === normalize(valueOf(b));
}
