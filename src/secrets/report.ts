import type { MigrationReport, SecretResult } from './migrate.js';
import { unusedInProductionNote } from './unused.js';

const COLUMNS = ['Secret', 'Result', 'Action', 'Path', 'Reason'] as const;

function cells(result: SecretResult): string[] {
  return [result.name, result.outcome, result.action, result.path ?? '-', result.reason];
}

function headline(report: MigrationReport): string {
  const { copied, unchanged, skipped, failed } = report.counts;
  const mode = report.dryRun ? ' (dry run: nothing was written)' : '';
  const path = report.targetPath === 'Resource Manager' ? ' through Resource Manager (the target refuses this network)' : '';
  return `${report.source} -> ${report.target}${path}${mode}: copied ${copied}, unchanged ${unchanged}, skipped ${skipped}, failed ${failed} in ${(report.elapsedMs / 1000).toFixed(1)} s`;
}

/** The note on development secrets production does not use, when the run met any. */
function unusedNote(report: MigrationReport): string[] {
  return report.unusedInProduction?.length ? [unusedInProductionNote(report.unusedInProduction, report.includeUnused === true)] : [];
}

/** A plain-text table for a terminal: names, outcomes and reasons, never values. */
export function formatReportText(report: MigrationReport): string {
  const rows = report.results.map(cells);
  const widths = COLUMNS.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const line = (row: readonly string[]) =>
    row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]))).join('  ');
  return [
    line(COLUMNS),
    line(widths.map((width) => '-'.repeat(width))),
    ...rows.map(line),
    '',
    headline(report),
    ...unusedNote(report),
    '',
  ].join('\n');
}

function escapeMarkdown(text: string): string {
  return text.replace(/[|\\`*_<>[\]]/g, (character) => `\\${character}`);
}

/** The job summary: the same table in Markdown. */
export function formatReportMarkdown(report: MigrationReport): string {
  const rows = report.results.map((result) => `| ${cells(result).map(escapeMarkdown).join(' | ')} |`);
  return [
    `### Migrate secrets`,
    '',
    escapeMarkdown(headline(report)),
    '',
    ...unusedNote(report).flatMap((note) => [escapeMarkdown(note), '']),
    `| ${COLUMNS.join(' | ')} |`,
    `| ${COLUMNS.map(() => '---').join(' | ')} |`,
    ...rows,
    '',
  ].join('\n');
}

/** Machine-readable: counts and rows, no values. */
export function formatReportJson(report: MigrationReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
