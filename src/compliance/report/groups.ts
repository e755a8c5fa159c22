import { isBlocking } from '../evaluate.js';
import type { Finding, GatePolicy, GateReport } from '../model.js';

/**
 * Findings a person acts on together: one control, one fix, every resource it names. A failing
 * run of 30 resources missing one tag is one thing to change, not thirty.
 */
export interface FindingGroup {
  control: string;
  remediation: string;
  /** `fail` when any finding of the group fails, else `unknown`. */
  status: 'fail' | 'unknown';
  blocking: boolean;
  findings: Finding[];
}

/** A finding that stops promotion under the policy (a broken waiver always does). */
export function blocks(finding: Finding, policy: GatePolicy): boolean {
  return isBlocking(finding, policy) || (finding.control === 'waiver.valid' && finding.status === 'fail');
}

/** The fail and unknown findings grouped by control and fix: blocking groups first, failures before unknowns, then in report order. */
export function findingGroups(report: GateReport, policy: GatePolicy): FindingGroup[] {
  const groups = new Map<string, FindingGroup>();
  for (const finding of report.findings) {
    if (finding.status !== 'fail' && finding.status !== 'unknown') continue;
    const blocking = blocks(finding, policy);
    const key = JSON.stringify([blocking, finding.control, finding.remediation ?? '']);
    const group = groups.get(key);
    if (group) {
      group.findings.push(finding);
      if (finding.status === 'fail') group.status = 'fail';
    } else
      groups.set(key, {
        control: finding.control,
        remediation: finding.remediation ?? '',
        status: finding.status,
        blocking,
        findings: [finding],
      });
  }
  const rank = (group: FindingGroup) => (group.blocking ? 0 : 2) + (group.status === 'fail' ? 0 : 1);
  return [...groups.values()].sort((a, b) => rank(a) - rank(b));
}

/** `a, b and 3 more`: at most `max` names. */
export function someOf(names: string[], max: number): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/** Distinct resource names of a group, in order. */
export function resourceNames(group: FindingGroup): string[] {
  return [...new Set(group.findings.map((finding) => finding.resource.name))];
}
