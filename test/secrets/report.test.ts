import { describe, expect, it } from 'vitest';
import type { MigrationReport } from '../../src/secrets/migrate.js';
import { formatReportJson, formatReportMarkdown, formatReportText } from '../../src/secrets/report.js';

const report: MigrationReport = {
  source: 'kv-dev',
  target: 'kv-prod',
  targetPath: 'data plane',
  dryRun: false,
  results: [
    { name: 'db-password', outcome: 'copied', action: 'create', reason: 'not in the target; verified', path: 'data plane' },
    { name: 'tls-cert', outcome: 'skipped', action: 'none', reason: 'certificate-backed | managed' },
  ],
  counts: { copied: 1, unchanged: 0, skipped: 1, failed: 0 },
  throttledResponses: 0,
  elapsedMs: 1_234,
};

describe('report formats', () => {
  it('text: an aligned table and the counts', () => {
    const text = formatReportText(report);
    expect(text.split('\n').slice(0, 4)).toEqual([
      'Secret       Result   Action  Path        Reason',
      '-----------  -------  ------  ----------  ----------------------------',
      'db-password  copied   create  data plane  not in the target; verified',
      'tls-cert     skipped  none    -           certificate-backed | managed',
    ]);
    expect(text).toContain('kv-dev -> kv-prod: copied 1, unchanged 0, skipped 1, failed 0 in 1.2 s');
    expect(formatReportText({ ...report, targetPath: 'Resource Manager' })).toContain(
      'kv-dev -> kv-prod through Resource Manager (the target refuses this network): copied 1',
    );
  });

  it('markdown: escapes table syntax in reasons', () => {
    const markdown = formatReportMarkdown({ ...report, dryRun: true });
    expect(markdown).toContain('| tls-cert | skipped | none | - | certificate-backed \\| managed |');
    expect(markdown).toContain('dry run: nothing was written');
  });

  it('names the development secrets production does not use, and whether they were copied anyway', () => {
    const skipped = { ...report, unusedInProduction: ['AzureOpenAIKey', 'AzureSearchKey'], includeUnused: false };
    const text = formatReportText(skipped);
    expect(text).toContain('Not copied, because production does not use them: AzureOpenAIKey, AzureSearchKey.');
    expect(text).toContain('set include-unused (CLI: --include-unused)');
    expect(formatReportMarkdown(skipped)).toContain('Not copied, because production does not use them: AzureOpenAIKey, AzureSearchKey.');
    expect(formatReportText({ ...skipped, includeUnused: true })).toContain(
      'Included although production does not use them (include-unused): AzureOpenAIKey, AzureSearchKey.',
    );
    expect(formatReportText(report)).not.toContain('production does not use');
  });

  it('json: parses back', () => {
    expect(JSON.parse(formatReportJson(report))).toMatchObject({ counts: report.counts, results: report.results });
  });
});
