import { controlById } from '../catalog.js';
import type { Finding, GatePolicy, GateReport } from '../model.js';
import { findingGroups, resourceNames, someOf, type FindingGroup } from './groups.js';

/** Where each control is explained: docs/controls.md has an anchor per control id. */
export const CONTROLS_DOC = 'https://github.com/azure-hipaa/azure-hipaa-actions/blob/main/docs/controls.md';

export interface MarkdownOptions {
  /**
   * Whether a failing verdict stops anything. False in warn mode (`fail-on: never`, provision's
   * `gate: warn`): the report then calls nothing blocking, since nothing is blocked.
   */
  enforced?: boolean;
  /** Where the whole report is, for what a capped section leaves out. */
  fullReport?: string;
}

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

// GitHub refuses a step summary over 1 MiB whole. Each section is capped so a template of any size
// stays far below it; the rest is in the JSON report.
const MAX_GROUPS = 25;
const MAX_NAMES = 10;
const MAX_PLACES = 5;
const MAX_TEXT = 300;
const MAX_NOTES = 10;
const MAX_WAIVED = 50;
const MAX_SECTION_ROWS = 60;
const MAX_DIAGRAM_NODES = 100;
/** Half of GitHub's limit: provision's summary adds its what-if to the gate's verdict. */
export const MAX_SUMMARY_BYTES = 512 * 1024;

/** Text in a table cell or a line: one line, Markdown and HTML shown as typed, at most `max` characters. */
function text(value: string, max = MAX_TEXT): string {
  const flat = value.replace(/\s*[\r\n]+\s*/g, ' ');
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]~|]/g, '\\$&');
}

/** A name as code; a backtick would end the span early. */
function code(value: string, max = 120): string {
  const flat = value.replace(/[\r\n`]+/g, ' ');
  return `\`${(flat.length > max ? `${flat.slice(0, max - 1)}…` : flat).replace(/\|/g, '\\|')}\``;
}

const plural = (count: number, one: string, many = `${one}s`) => `${count} ${count === 1 ? one : many}`;

/** A control id linked to its row in docs/controls.md (the input and waiver checks have none). */
export function controlLink(id: string): string {
  return controlById(id) ? `[${id}](${CONTROLS_DOC}#${id})` : id;
}

/**
 * The job summary, read top down: the verdict and the count of blockers, what blocks grouped by
 * control and fix, then what does not block, waivers, the HIPAA sections and the environment,
 * each folded so passing rows take no room.
 */
export function renderMarkdown(report: GateReport, policy: GatePolicy, options: MarkdownOptions = {}): string {
  const enforced = options.enforced ?? true;
  const fullReport = options.fullReport ?? 'the JSON report (`azure-hipaa gate --format json`)';
  const groups = findingGroups(report, policy);
  const blocking = groups.filter((group) => group.blocking);
  const other = groups.filter((group) => !group.blocking);
  const findingsIn = (list: FindingGroup[]) => list.reduce((sum, group) => sum + group.findings.length, 0);
  const { summary } = report;

  const head: string[] = [
    heading(report.verdict, findingsIn(blocking), enforced),
    '',
    `Judged the ${report.input.kind} ${code(report.input.source)} at ${report.judgedAt}: ${summary.pass} pass, ${summary.fail} fail, ${summary.unknown} unknown, ${summary.waived} waived, ${summary.notApplicable} not applicable.`,
    '',
  ];
  // Each alert its own blockquote: alerts on consecutive lines merge into one, and only the first renders.
  const notes = report.notes ?? [];
  for (const note of notes.slice(0, MAX_NOTES)) head.push('> [!WARNING]', `> ${text(note, 1000)}`, '');
  if (notes.length > MAX_NOTES) head.push(`${notes.length - MAX_NOTES} more notes: see ${fullReport}.`, '');

  const blocks: string[][] = [head];
  if (blocking.length > 0)
    blocks.push([
      `### ${enforced ? 'Blocking' : 'To fix'}: ${plural(findingsIn(blocking), 'finding')} in ${plural(blocking.length, 'control')}`,
      '',
      ...(enforced ? [] : ['Warn mode: these are reported and stop nothing; with the gate enforced they would.', '']),
      ...groupTable(blocking, fullReport),
    ]);
  if (other.length > 0)
    blocks.push(
      folded(
        `${enforced ? 'Not blocking' : 'Advisory'}: ${plural(findingsIn(other), 'finding')} in ${plural(other.length, 'control')}`,
        groupTable(other, fullReport),
      ),
    );
  const waived = report.findings.filter((finding) => finding.status === 'waived');
  if (waived.length > 0) blocks.push(folded(`Waived: ${plural(waived.length, 'finding')}`, waivedTable(waived, fullReport)));
  blocks.push(sectionTables(report));
  blocks.push(environmentDiagram(report));
  return fit(blocks, fullReport);
}

function heading(verdict: GateReport['verdict'], blockers: number, enforced: boolean): string {
  if (verdict === 'pass') return '## ✅ HIPAA gate: pass';
  return enforced
    ? `## ❌ HIPAA gate: fail, ${plural(blockers, 'blocking finding')}`
    : `## ⚠️ HIPAA gate: fail, ${plural(blockers, 'finding')} to fix (warn mode: not enforced)`;
}

const folded = (summary: string, body: string[]): string[] => [`<details><summary>${summary}</summary>`, '', ...body, '</details>', ''];

/** One row per control and fix: the resources together, where to change it, how. */
function groupTable(groups: FindingGroup[], fullReport: string): string[] {
  const lines = ['| Control | Resources | Where | Fix |', '|---|---|---|---|'];
  for (const group of groups.slice(0, MAX_GROUPS)) {
    const places = [...new Set(group.findings.flatMap((f) => (f.location ? [`${f.location.file}:${f.location.line}`] : [])))];
    const where =
      places.length > 0
        ? someOf(
            places.map((place) => code(place)),
            MAX_PLACES,
          )
        : '—';
    lines.push(
      `| ${controlLink(group.control)} ${STATUS_ICON[group.status]} | ${resourcesCell(group)} | ${where} | ${text(group.remediation)} |`,
    );
  }
  lines.push('');
  if (groups.length > MAX_GROUPS) {
    const rest = groups.slice(MAX_GROUPS);
    lines.push(
      `${plural(rest.length, 'more control')} (${plural(
        rest.reduce((sum, g) => sum + g.findings.length, 0),
        'finding',
      )}): see ${fullReport}.`,
      '',
    );
  }
  return lines;
}

/** The resources of a group with what was found: once when every resource has the same finding. */
function resourcesCell(group: FindingGroup): string {
  const names = resourceNames(group);
  const messages = [...new Set(group.findings.map((f) => f.message))];
  if (messages.length === 1)
    return `${someOf(
      names.map((name) => code(name)),
      MAX_NAMES,
    )}: ${text(messages[0] as string)}`;
  const lines = group.findings.slice(0, MAX_NAMES).map((f) => `${code(f.resource.name)}: ${text(f.message, 200)}`);
  if (group.findings.length > MAX_NAMES) lines.push(`and ${group.findings.length - MAX_NAMES} more`);
  return lines.join('<br>');
}

function waivedTable(waived: Finding[], fullReport: string): string[] {
  const lines = ['| Control | Resource | Waiver |', '|---|---|---|'];
  for (const f of waived.slice(0, MAX_WAIVED))
    lines.push(
      `| ${controlLink(f.control)} | ${code(f.resource.name)} | ${text(`${f.waiver?.reason ?? ''} (approved by ${f.waiver?.approvedBy ?? '?'}, until ${f.waiver?.expires ?? '?'})`)} |`,
    );
  lines.push('');
  if (waived.length > MAX_WAIVED) lines.push(`${waived.length - MAX_WAIVED} more: see ${fullReport}.`, '');
  return lines;
}

/** Each HIPAA section: its failing and unknown controls open, its passing ones folded. */
function sectionTables(report: GateReport): string[] {
  const out = ['### Findings by HIPAA section', ''];
  const bySection = new Map<string, Finding[]>();
  for (const finding of report.findings.filter((f) => f.status !== 'not-applicable')) {
    const sections = finding.hipaa.length > 0 ? [...new Set(finding.hipaa.map((c) => c.split('(')[0] as string))] : ['other'];
    for (const section of sections) {
      const list = bySection.get(section);
      if (list) list.push(finding);
      else bySection.set(section, [finding]);
    }
  }
  for (const section of [...bySection.keys()].sort()) {
    const findings = bySection.get(section) as Finding[];
    const open = findings.filter((f) => f.status === 'fail' || f.status === 'unknown');
    const settled = findings.filter((f) => f.status !== 'fail' && f.status !== 'unknown');
    const title = SECTIONS[section] ?? (section === 'other' ? 'Input and waivers' : section);
    out.push(`**${title}**: ${open.length} to fix, ${settled.length} pass or waived`, '');
    if (open.length > 0) out.push(...rowsTable(open, section), '');
    if (settled.length > 0)
      out.push(...folded(`${plural(settled.length, 'finding')} pass or waived`, [...rowsTable(settled, section), '']));
  }
  return out;
}

/** A row per control and status, its resources together: four columns that fit the page. */
function rowsTable(findings: Finding[], section: string): string[] {
  const rows = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = `${f.control}\u0000${f.status}`;
    const row = rows.get(key);
    if (row) row.push(f);
    else rows.set(key, [f]);
  }
  const lines = ['| Control | Citation | Status | Resources |', '|---|---|---|---|'];
  for (const row of [...rows.values()].slice(0, MAX_SECTION_ROWS)) {
    const first = row[0] as Finding;
    const names = [...new Set(row.map((f) => f.resource.name))];
    lines.push(
      `| ${controlLink(first.control)} | ${first.hipaa.filter((c) => c.startsWith(section)).join(', ')} | ${STATUS_ICON[first.status]} | ${names.length > 3 ? `${names.length}: ` : ''}${someOf(
        names.map((name) => code(name)),
        3,
      )} |`,
    );
  }
  if (rows.size > MAX_SECTION_ROWS) lines.push(`| … | | | ${rows.size - MAX_SECTION_ROWS} more rows in the JSON report |`);
  return lines;
}

/**
 * The resources with findings to fix, coloured, and what they belong to (parents, the resource an
 * extension is scoped to); the whole environment, folded, when nothing needs fixing.
 */
function environmentDiagram(report: GateReport): string[] {
  const statusOf = new Map<string, 'fail' | 'unknown'>();
  for (const f of report.findings) {
    if (!f.resource.id || (f.status !== 'fail' && f.status !== 'unknown')) continue;
    const id = f.resource.id.toLowerCase();
    if (statusOf.get(id) !== 'fail') statusOf.set(id, f.status);
  }
  const byId = new Map(report.resources.map((r) => [r.id.toLowerCase(), r]));
  const shown = new Set<string>();
  if (statusOf.size > 0) {
    for (const id of statusOf.keys()) {
      for (let at = byId.get(id); at && !shown.has(at.id.toLowerCase());) {
        shown.add(at.id.toLowerCase());
        const up = at.parentId ?? at.scopeId;
        at = up ? byId.get(up.toLowerCase()) : undefined;
      }
    }
  }
  const resources = (statusOf.size > 0 ? report.resources.filter((r) => shown.has(r.id.toLowerCase())) : report.resources).slice(
    0,
    MAX_DIAGRAM_NODES,
  );
  if (resources.length === 0) return [];
  const total = statusOf.size > 0 ? shown.size : report.resources.length;
  const ids = new Map(resources.map((r, index) => [r.id.toLowerCase(), `r${index}`]));
  const label = (value: string) =>
    value
      .slice(0, 80)
      .replace(/"/g, '#quot;')
      .replace(/[<>`\r\n]/g, '');
  const lines = [
    '```mermaid',
    'flowchart LR',
    '  classDef fail fill:#ffebe9,stroke:#cf222e,color:#1f2328',
    '  classDef unknown fill:#fff8c5,stroke:#9a6700,color:#1f2328',
  ];
  resources.forEach((resource, index) => {
    const status = statusOf.get(resource.id.toLowerCase());
    lines.push(
      `  r${index}["${label(resource.name.split('/').pop() ?? resource.name)}<br/><small>${label(resource.type)}</small>"]${status ? `:::${status}` : ''}`,
    );
  });
  for (const resource of resources) {
    const self = ids.get(resource.id.toLowerCase());
    const parent = resource.parentId ? ids.get(resource.parentId.toLowerCase()) : undefined;
    const scope = resource.scopeId ? ids.get(resource.scopeId.toLowerCase()) : undefined;
    if (parent) lines.push(`  ${parent} --> ${self}`);
    if (scope) lines.push(`  ${scope} -.-> ${self}`);
  }
  if (total > resources.length) lines.push(`  more["… and ${total - resources.length} more resources"]`);
  lines.push('```', '');
  const what =
    statusOf.size > 0
      ? `Environment: the ${plural(statusOf.size, 'resource')} with findings to fix (red: fail, yellow: unknown) and what they belong to`
      : `Environment: ${plural(report.resources.length, 'resource')}`;
  return ['### Environment', '', ...folded(what, lines)];
}

/** The blocks in order, dropping the last ones whole (never half a table or fence) while the summary is over its budget. */
function fit(blocks: string[][], fullReport: string): string {
  const join = (list: string[][]) => list.map((block) => block.join('\n')).join('\n');
  let kept = blocks;
  while (kept.length > 1 && Buffer.byteLength(join(kept)) > MAX_SUMMARY_BYTES) kept = kept.slice(0, -1);
  if (kept.length === blocks.length) return join(kept);
  const cut = `\n_The rest of the report is too large for a job summary: see ${fullReport}._\n`;
  const whole = join(kept);
  const room = MAX_SUMMARY_BYTES - Buffer.byteLength(cut);
  return `${
    Buffer.byteLength(whole) > room
      ? Buffer.from(whole)
          .subarray(0, room)
          .toString('utf8')
          .replace(/\n[^\n]*$/, '')
      : whole
  }${cut}`;
}

/**
 * The gate's verdict in one line, for the summaries of provision and deploy-container: the blocking
 * controls by name, and where the whole report is.
 */
export function renderVerdictLine(report: GateReport, policy: GatePolicy, options: MarkdownOptions = {}): string {
  const enforced = options.enforced ?? true;
  const groups = findingGroups(report, policy);
  const blocking = groups.filter((group) => group.blocking);
  const count = blocking.reduce((sum, group) => sum + group.findings.length, 0);
  const byControl = new Map<string, number>();
  for (const group of blocking) byControl.set(group.control, (byControl.get(group.control) ?? 0) + group.findings.length);
  const controls = someOf(
    [...byControl].map(([control, n]) => `${controlLink(control)} (${n})`),
    8,
  );
  const judged = { config: 'config', template: 'template', live: 'live resource group' }[report.input.kind];
  const verdict =
    report.verdict === 'pass'
      ? `✅ **HIPAA gate: pass** on the ${judged}`
      : `${enforced ? '❌' : '⚠️'} **HIPAA gate: fail** on the ${judged}, ${enforced ? plural(count, 'blocking finding') : `${plural(count, 'finding')} to fix (not enforced)`}: ${controls}`;
  return `${verdict}.${options.fullReport ? ` The whole report: ${options.fullReport}.` : ''}`;
}
