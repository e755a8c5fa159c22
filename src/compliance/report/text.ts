import { isBlocking } from '../evaluate.js';
import type { Finding, GatePolicy, GateReport } from '../model.js';

export interface TextOptions {
  /** The notes and blockers are annotations of the same log (the action's): count the blockers, print neither twice. */
  annotated?: boolean;
  /** False in warn mode: nothing is blocked, so nothing is called blocking. */
  enforced?: boolean;
}

/** The terminal report: verdict first, then what blocks and how to fix it. */
export function renderText(report: GateReport, policy: GatePolicy, options: TextOptions = {}): string {
  const { summary } = report;
  const lines = [
    `HIPAA gate: ${report.verdict.toUpperCase()}  (${report.input.kind} ${report.input.source}, ${report.judgedAt})`,
    `  ${summary.pass} pass, ${summary.fail} fail, ${summary.unknown} unknown, ${summary.waived} waived, ${summary.notApplicable} not applicable`,
  ];
  if (report.notes?.length && !options.annotated) lines.push('', 'Read first:', ...report.notes.map((note) => `  ! ${note}`));
  const blocking = report.findings.filter((f) => isBlocking(f, policy) || (f.control === 'waiver.valid' && f.status === 'fail'));
  const title = options.enforced === false ? 'To fix (warn mode: not enforced)' : 'Blocking';
  if (blocking.length > 0 && options.annotated) {
    const controls = new Set(blocking.map((finding) => finding.control)).size;
    lines.push('', `${title}: ${blocking.length} finding(s) in ${controls} control(s), each control an annotation in this log.`);
  } else if (blocking.length > 0) {
    lines.push('', `${title}:`);
    for (const finding of blocking) lines.push(...describe(finding), ...(finding.remediation ? [`      fix: ${finding.remediation}`] : []));
  }
  const blockers = new Set(blocking);
  const other = report.findings.filter((f) => !blockers.has(f) && (f.status === 'fail' || f.status === 'unknown' || f.status === 'waived'));
  if (other.length > 0) {
    lines.push('', options.enforced === false ? 'Reported only:' : 'Reported, not blocking:');
    for (const finding of other)
      lines.push(
        ...describe(finding),
        ...(finding.waiver
          ? [`      waived: ${finding.waiver.reason} (approved by ${finding.waiver.approvedBy}, until ${finding.waiver.expires})`]
          : []),
      );
  }
  return `${lines.join('\n')}\n`;
}

function describe(finding: Finding): string[] {
  const where = finding.location ? `  [${finding.location.file}:${finding.location.line}]` : '';
  return [
    `  ${finding.status.toUpperCase().padEnd(7)} ${finding.control}  ${finding.resource.name}${where}`,
    `      ${finding.message}`,
    ...(finding.drift ?? []).map(
      (drift) => `      drift: ${drift.path}: planned ${JSON.stringify(drift.planned)}, live ${JSON.stringify(drift.live)}`,
    ),
  ];
}
