import { isBlocking } from '../evaluate.js';
import type { Finding, GatePolicy, GateReport } from '../model.js';

const SECTIONS: Record<string, string> = {
  '164.308': '164.308 Administrative safeguards',
  '164.310': '164.310 Physical safeguards',
  '164.312': '164.312 Technical safeguards',
  '164.316': '164.316 Policies, procedures and documentation',
};
const STATUS_ICON: Record<Finding['status'], string> = {
  pass: '✅ pass',
  fail: '❌ fail',
  unknown: '❔ unknown',
  waived: '⚪ waived',
  'not-applicable': '➖ n/a',
};
const MAX_DIAGRAM_NODES = 150;

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

/** The job summary: verdict first, counts, findings by HIPAA section, how to fix, and a diagram. */
export function renderMarkdown(report: GateReport, policy: GatePolicy): string {
  const { summary } = report;
  const out: string[] = [
    `## ${report.verdict === 'pass' ? '✅' : '❌'} HIPAA gate: ${report.verdict}`,
    '',
    `Judged the ${report.input.kind} \`${report.input.source}\` at ${report.judgedAt}.`,
    '',
    ...(report.notes?.length ? [...report.notes.map((note) => `> [!WARNING]\n> ${cell(note)}`), ''] : []),
    '| pass | fail | unknown | waived | not applicable |',
    '|---:|---:|---:|---:|---:|',
    `| ${summary.pass} | ${summary.fail} | ${summary.unknown} | ${summary.waived} | ${summary.notApplicable} |`,
    '',
  ];

  const toFix = report.findings.filter((f) => f.status === 'fail' || f.status === 'unknown');
  if (toFix.length > 0) {
    out.push('### How to fix', '');
    for (const finding of toFix) {
      const blocking = isBlocking(finding, policy) || finding.control === 'waiver.valid' ? 'blocking' : 'not blocking';
      const where = finding.location ? ` (${finding.location.file}:${finding.location.line})` : '';
      out.push(
        `- **${finding.control}** on \`${finding.resource.name}\`${where}, ${finding.status}, ${blocking}: ${cell(finding.message)}`,
      );
      if (finding.remediation) out.push(`  - Fix: ${cell(finding.remediation)}`);
      for (const drift of finding.drift ?? [])
        out.push(
          `  - Drift: \`${cell(drift.path)}\` planned \`${cell(JSON.stringify(drift.planned))}\`, live \`${cell(JSON.stringify(drift.live))}\``,
        );
    }
    out.push('');
  }

  const waived = report.findings.filter((f) => f.status === 'waived');
  if (waived.length > 0) {
    out.push('### Waived', '', '| Control | Resource | Reason | Approved by | Expires |', '|---|---|---|---|---|');
    for (const f of waived)
      out.push(
        `| ${f.control} | ${cell(f.resource.name)} | ${cell(f.waiver?.reason ?? '')} | ${cell(f.waiver?.approvedBy ?? '')} | ${f.waiver?.expires ?? ''} |`,
      );
    out.push('');
  }

  out.push('### Findings by HIPAA section', '');
  const bySection = new Map<string, Finding[]>();
  for (const finding of report.findings.filter((f) => f.status !== 'not-applicable')) {
    const sections = finding.hipaa.length > 0 ? [...new Set(finding.hipaa.map((c) => c.split('(')[0] as string))] : ['other'];
    for (const section of sections) bySection.set(section, [...(bySection.get(section) ?? []), finding]);
  }
  for (const section of [...bySection.keys()].sort()) {
    const findings = bySection.get(section) as Finding[];
    out.push(
      `<details${findings.some((f) => f.status === 'fail' || f.status === 'unknown') ? ' open' : ''}><summary>${SECTIONS[section] ?? (section === 'other' ? 'Input and waivers' : section)} (${findings.length})</summary>`,
      '',
    );
    out.push('| Control | Resource | Status | Citation | Finding |', '|---|---|---|---|---|');
    for (const f of findings)
      out.push(
        `| ${f.control} | ${cell(f.resource.name)} | ${STATUS_ICON[f.status]} | ${f.hipaa.filter((c) => c.startsWith(section)).join(', ')} | ${cell(f.message)} |`,
      );
    out.push('', '</details>', '');
  }

  out.push('### Environment', '', '```mermaid', ...diagram(report), '```', '');
  return out.join('\n');
}

function diagram(report: GateReport): string[] {
  const resources = report.resources.slice(0, MAX_DIAGRAM_NODES);
  const ids = new Map(resources.map((r, index) => [r.id.toLowerCase(), `r${index}`]));
  const label = (text: string) => text.replace(/"/g, '#quot;').replace(/[<>]/g, '');
  const lines = ['flowchart LR'];
  resources.forEach((resource, index) =>
    lines.push(`  r${index}["${label(resource.name.split('/').pop() ?? resource.name)}<br/><small>${label(resource.type)}</small>"]`),
  );
  for (const resource of resources) {
    const self = ids.get(resource.id.toLowerCase());
    const parent = resource.parentId ? ids.get(resource.parentId.toLowerCase()) : undefined;
    const scope = resource.scopeId ? ids.get(resource.scopeId.toLowerCase()) : undefined;
    if (parent) lines.push(`  ${parent} --> ${self}`);
    if (scope) lines.push(`  ${scope} -.-> ${self}`);
  }
  if (report.resources.length > MAX_DIAGRAM_NODES)
    lines.push(`  more["… and ${report.resources.length - MAX_DIAGRAM_NODES} more resources"]`);
  return lines;
}
