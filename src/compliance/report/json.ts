import type { GateReport } from '../model.js';

/** The JSON report of controls.md: the CLI's `--format json` and the action's `report-path` file. */
export function renderJson(report: GateReport): string {
  const findings = report.findings.map((finding) => ({
    control: finding.control,
    status: finding.status,
    severity: finding.severity,
    hipaa: finding.hipaa,
    resource: finding.resource,
    message: finding.message,
    ...(finding.remediation ? { remediation: finding.remediation } : {}),
    ...(finding.waiver ? { waiver: finding.waiver } : {}),
    ...(finding.drift ? { drift: finding.drift } : {}),
    ...(finding.location ? { location: { file: finding.location.file, line: finding.location.line } } : {}),
  }));
  return `${JSON.stringify({ verdict: report.verdict, input: report.input, judgedAt: report.judgedAt, summary: report.summary, findings }, null, 2)}\n`;
}
