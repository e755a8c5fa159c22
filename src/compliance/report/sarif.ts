import { controlById } from '../catalog.js';
import type { Finding, GateReport } from '../model.js';

const INFORMATION_URI = 'https://github.com/azure-hipaa/azure-hipaa-actions/blob/main/docs/controls.md';

/** SARIF 2.1.0 for code scanning: a rule per control with findings, a result per fail, unknown or waived finding. */
export function renderSarif(report: GateReport): string {
  const reported = report.findings.filter((f) => f.status === 'fail' || f.status === 'unknown' || f.status === 'waived');
  const ruleIds = [...new Set(reported.map((f) => f.control))];
  const rules = ruleIds.map((id) => {
    const control = controlById(id);
    const sample = reported.find((f) => f.control === id) as Finding;
    return {
      id,
      name: id.replace(/[^A-Za-z0-9]+(.)/g, (_, c: string) => c.toUpperCase()),
      shortDescription: { text: control?.title ?? id },
      fullDescription: { text: `${control?.title ?? id}. HIPAA ${sample.hipaa.join(', ') || 'n/a'}.` },
      help: { text: control?.remediation ?? sample.remediation ?? '' },
      defaultConfiguration: { level: sample.severity === 'required' ? 'error' : 'warning' },
      properties: { tags: ['hipaa', ...sample.hipaa] },
    };
  });
  const results = reported.map((finding) => ({
    ruleId: finding.control,
    ruleIndex: ruleIds.indexOf(finding.control),
    level: finding.status === 'unknown' || finding.severity === 'advisory' ? 'warning' : 'error',
    message: { text: `${finding.resource.name}: ${finding.message}${finding.remediation ? ` Fix: ${finding.remediation}` : ''}` },
    locations: [
      finding.location
        ? {
            physicalLocation: {
              artifactLocation: { uri: finding.location.file.replace(/\\/g, '/') },
              region: { startLine: finding.location.line },
            },
          }
        : {
            logicalLocations: [
              { name: finding.resource.name, fullyQualifiedName: finding.resource.id || finding.resource.name, kind: 'resource' },
            ],
          },
    ],
    ...(finding.waiver
      ? {
          suppressions: [
            {
              kind: 'external',
              justification: `${finding.waiver.reason} (approved by ${finding.waiver.approvedBy}, until ${finding.waiver.expires})`,
            },
          ],
        }
      : {}),
    properties: { status: finding.status, resourceType: finding.resource.type },
  }));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'azure-hipaa gate', informationUri: INFORMATION_URI, rules } },
        results,
        invocations: [{ executionSuccessful: true, endTimeUtc: report.judgedAt }],
      },
    ],
  };
  return `${JSON.stringify(sarif, null, 2)}\n`;
}
