import { isAbsolute, relative, resolve } from 'node:path';
import type { SourceLocation } from '../../core/json-path.js';
import type { GatePolicy, GateReport } from '../model.js';
import { findingGroups, resourceNames, someOf, type FindingGroup } from './groups.js';

/** GitHub shows at most 10 annotations of each level for a step; the rest are dropped silently. */
export const MAX_ANNOTATIONS_PER_LEVEL = 10;

export interface GateAnnotation {
  level: 'error' | 'warning';
  title: string;
  message: string;
  location?: SourceLocation;
}

export interface AnnotationOptions {
  /** False in warn mode: what would block is a warning, not an error. */
  enforced: boolean;
  /** Annotations of the blockers' level the step adds itself (its failure message is one error). */
  reserved: number;
  /** The repository: locations are made relative to it, and a file outside it is left out (it would not link). */
  workspace: string;
}

/**
 * The gate's annotations: one per control and fix that blocks, failures first; when they outnumber
 * what GitHub shows, the last names every remaining control and points to the job summary. What
 * does not block is in the log's text report and the summary, not in annotations.
 */
export function gateAnnotations(report: GateReport, policy: GatePolicy, options: AnnotationOptions): GateAnnotation[] {
  const blocking = findingGroups(report, policy).filter((group) => group.blocking);
  const level = options.enforced ? 'error' : 'warning';
  const budget = Math.max(1, MAX_ANNOTATIONS_PER_LEVEL - options.reserved);
  const shown = blocking.length > budget ? blocking.slice(0, budget - 1) : blocking;
  const annotations: GateAnnotation[] = shown.map((group) => {
    const location = group.findings.find((finding) => finding.location)?.location;
    const file = location ? inWorkspace(location.file, options.workspace) : undefined;
    return {
      level,
      title: `HIPAA ${group.control} (${group.status})`,
      message: `${describe(group)}\nFix: ${group.remediation}`,
      ...(location && file ? { location: { ...location, file } } : {}),
    };
  });
  const rest = blocking.slice(shown.length);
  if (rest.length > 0) {
    const count = rest.reduce((sum, group) => sum + group.findings.length, 0);
    annotations.push({
      level,
      title: `HIPAA gate: ${count} more finding(s) to fix`,
      message: `${rest.map((group) => `${group.control} on ${someOf(resourceNames(group), 5)}`).join('; ')}. Each with its fix in the job summary.`,
    });
  }
  return annotations;
}

function describe(group: FindingGroup): string {
  const names = resourceNames(group);
  const messages = [...new Set(group.findings.map((finding) => finding.message))];
  const on = names.length === 1 ? `on ${names[0]}` : `on ${names.length} resources (${someOf(names, 10)})`;
  return `${group.control} ${on}: ${messages.length === 1 ? messages[0] : `${messages[0]} (and ${messages.length - 1} other findings)`}`;
}

/** `file` relative to the workspace, or undefined when it lies outside (an absolute path there would not link). */
export function inWorkspace(file: string, workspace: string): string | undefined {
  const inside = relative(workspace, resolve(workspace, file));
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split('\\').join('/') : undefined;
}
