/** The gate's job summary, rendered as GitHub renders it and read as a team reads it. */
import { readFile, mkdtemp, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { marked, type Tokens } from 'marked';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTemplate } from '../../src/arm/resolve.js';
import { CONTROLS } from '../../src/compliance/catalog.js';
import { evaluate } from '../../src/compliance/evaluate.js';
import { DEFAULT_GATE_POLICY, type GateReport } from '../../src/compliance/model.js';
import { MAX_SUMMARY_BYTES, renderMarkdown, renderVerdictLine } from '../../src/compliance/report/markdown.js';
import { runGate, type GateRun } from '../../src/gate/gate.js';
import { blocks, seen, tableText, visible } from '../helpers/markdown.js';
import { repoRoot } from '../helpers/run-action.js';

let work: string;
/** A pull request that opens the network (eight advisory findings) and shortens the vault's soft-delete (the one blocker). */
let loosened: GateRun;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'report-md-'));
  await mkdir(join(work, 'compliance'));
  await copyFile(join(repoRoot, 'examples/compliance/azure-baa-sample.txt'), join(work, 'compliance/azure-baa-sample.txt'));
  const example = await readFile(join(repoRoot, 'examples/azure-hipaa.yml'), 'utf8');
  await writeFile(
    join(work, 'azure-hipaa.yml'),
    example.replace('mode: private', 'mode: public').replace('softDeleteRetentionInDays: 90', 'softDeleteRetentionInDays: 30'),
  );
  loosened = await runGate({ cwd: work, config: 'azure-hipaa.yml', now: new Date('2026-12-01T00:00:00Z') });
});
afterAll(async () => rm(work, { recursive: true, force: true }));

const withNotes = (report: GateReport, notes: string[]): GateReport => ({ ...report, notes });

describe('the gate’s Markdown summary', () => {
  it('says the verdict and the count of blockers first, then a table of the blockers, the advisory rest folded', () => {
    const markdown = renderMarkdown(loosened.report, loosened.policy);
    const shown = visible(markdown);
    const heading = shown[0] as Tokens.Heading;
    expect(heading.type).toBe('heading');
    expect(seen(heading.text)).toMatch(/HIPAA gate: fail, 1 blocking finding$/);
    const firstTable = shown.find((token) => token.type === 'table');
    const rows = tableText(firstTable as Tokens.Table);
    expect(rows[0]).toEqual(['Control', 'Resources', 'Where', 'Fix']);
    expect(rows.slice(1).map((row) => row[0])).toEqual(['keyvault.soft-delete ❌ fail']);
    expect(rows[1]?.[1]).toMatch(/seniorly-prod-secrets/);
    // The config line to change, at the offending key.
    expect(rows[1]?.[2]).toMatch(/^azure-hipaa\.yml:\d+$/);
    // No bullet list of interleaved findings; the eight advisory ones are folded away.
    expect(shown.some((token) => token.type === 'list')).toBe(false);
    const advisory = loosened.report.findings.filter((f) => f.status === 'fail' && f.severity === 'advisory');
    expect(advisory.length).toBeGreaterThan(5);
    const fixTables = blocks(markdown).filter((block) => block.token.type === 'table' && tableText(block.token)[0]?.[3] === 'Fix');
    expect(fixTables.map((block) => block.folded)).toEqual([false, true]);
    const folded = tableText(fixTables[1]?.token as Tokens.Table).slice(1);
    expect(folded.every((row) => /public-network/.test(row[0] ?? ''))).toBe(true);
    expect(seen(markdown)).toContain(`Not blocking: ${advisory.length} findings in ${folded.length} controls`);
  });

  it('groups one control and fix into one row, its resources together', async () => {
    const example = await readFile(join(repoRoot, 'examples/azure-hipaa.yml'), 'utf8');
    await writeFile(join(work, 'untagged.yml'), example.replace('  Compliance: HIPAA\n', ''));
    const run = await runGate({ cwd: work, config: 'untagged.yml', now: new Date('2026-12-01T00:00:00Z') });
    const blocking = run.report.findings.filter((f) => f.control === 'tags.required' && f.status === 'fail');
    expect(blocking.length).toBeGreaterThan(10);
    const rows = tableText(visible(renderMarkdown(run.report, run.policy)).find((token) => token.type === 'table') as Tokens.Table);
    expect(rows).toHaveLength(2);
    expect(rows[1]?.[1]).toMatch(new RegExp(`and ${blocking.length - 10} more: tags: Compliance is missing$`));
  });

  it('renders each read-first note as its own alert', () => {
    const markdown = renderMarkdown(
      withNotes(loosened.report, ['gate.advisoryBlocks was true on the base branch', 'a waiver was added | with a pipe']),
      loosened.policy,
    );
    const quotes = visible(markdown).filter((token) => token.type === 'blockquote');
    expect(quotes).toHaveLength(2);
    for (const quote of quotes) expect(quote.raw.match(/\[!\w+\]/g)).toEqual(['[!WARNING]']);
    expect(seen(quotes[1]?.raw ?? '')).toContain('a waiver was added | with a pipe');
    // Both come before the blockers: read first.
    const order = visible(markdown).map((token) => token.type);
    expect(order.indexOf('blockquote')).toBeLessThan(order.indexOf('table'));
  });

  it('calls nothing blocking in warn mode', () => {
    const markdown = renderMarkdown(loosened.report, loosened.policy, { enforced: false });
    expect(seen(markdown)).not.toMatch(/blocking/i);
    expect(seen((visible(markdown)[0] as Tokens.Heading).text)).toMatch(/HIPAA gate: fail, 1 finding to fix \(warn mode: not enforced\)/);
    expect(renderVerdictLine(loosened.report, loosened.policy, { enforced: false })).not.toMatch(/blocking/i);
  });

  it('keeps failing rows of each HIPAA section open and folds the passes, each control linked to its row in docs/controls.md', async () => {
    const markdown = renderMarkdown(loosened.report, loosened.policy);
    const all = blocks(markdown);
    const sectionStart = all.findIndex((block) => block.token.type === 'heading' && /Findings by HIPAA section/.test(block.token.raw));
    const sectionTables = all.slice(sectionStart).filter((block) => block.token.type === 'table' && /Citation/.test(block.token.raw));
    for (const block of sectionTables) {
      const statuses = tableText(block.token)
        .slice(1)
        .map((row) => row[2]);
      if (block.folded) expect(statuses.every((status) => /pass|waived/.test(status ?? ''))).toBe(true);
      else expect(statuses.every((status) => /fail|unknown/.test(status ?? ''))).toBe(true);
    }
    expect(sectionTables.some((block) => !block.folded)).toBe(true);
    for (const block of sectionTables) expect(tableText(block.token)[0]).toHaveLength(4);
    // Every link to a control lands on an anchor that docs/controls.md has.
    const html = marked.parse(await readFile(join(repoRoot, 'docs/controls.md'), 'utf8'), { async: false }) as string;
    const anchors = new Set([...html.matchAll(/<a name="([^"]+)"/g)].map((m) => m[1]));
    for (const control of CONTROLS) expect(anchors, control.id).toContain(control.id);
    const links = [...markdown.matchAll(/docs\/controls\.md#([\w.-]+)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(anchors).toContain(link);
  });

  it('draws only the failing resources and what they belong to, coloured, folded', () => {
    const markdown = renderMarkdown(loosened.report, loosened.policy);
    const diagram = blocks(markdown).find((block) => block.token.type === 'code' && (block.token as Tokens.Code).lang === 'mermaid');
    expect(diagram?.folded).toBe(true);
    const nodes = (diagram?.token as Tokens.Code).text.split('\n').filter((line) => /^\s+r\d+\[/.test(line));
    // Eight public endpoints and the vault, nothing else of the 80-odd resources.
    expect(nodes.length).toBeLessThan(15);
    expect(nodes.find((line) => line.includes('seniorly-prod-secrets'))).toMatch(/:::fail$/);
    expect((diagram?.token as Tokens.Code).text).toMatch(/classDef fail /);
  });

  it('stays under GitHub’s 1 MiB for a 3,000-resource template where every resource fails, pointing to the JSON report for the rest', () => {
    const template = largeFailingTemplate(3000);
    const environment = resolveTemplate(template, { source: { file: 'main.json', value: template } });
    const report = evaluate(environment, { policy: DEFAULT_GATE_POLICY, now: new Date('2026-12-01T00:00:00Z') });
    expect(report.resources.length).toBeGreaterThanOrEqual(3000);
    const markdown = renderMarkdown(report, DEFAULT_GATE_POLICY, { fullReport: 'the JSON report' });
    expect(Buffer.byteLength(markdown)).toBeLessThan(MAX_SUMMARY_BYTES);
    expect(Buffer.byteLength(markdown)).toBeLessThan(1024 * 1024);
    const shown = visible(markdown);
    expect(seen((shown[0] as Tokens.Heading).text)).toMatch(/HIPAA gate: fail, \d{4,} blocking findings/);
    const rows = tableText(shown.find((token) => token.type === 'table') as Tokens.Table);
    for (const control of ['storage.min-tls', 'storage.no-public-blob', 'tags.required'])
      expect(rows.some((row) => row[0]?.startsWith(control))).toBe(true);
    expect(seen(markdown)).toMatch(/and \d+ more/);
    // A fence or a details element left open would swallow what follows.
    expect(markdown.match(/^```/gm)?.length ?? 0).toSatisfy((n: number) => n % 2 === 0);
    expect(markdown.match(/<details/g)?.length).toBe(markdown.match(/<\/details>/g)?.length);
  });
});

/** Storage accounts that fail several controls each, in modules of 500 (ARM takes at most 800 a template), as bench/gate.ts builds a large template. */
function largeFailingTemplate(count: number): Record<string, unknown> {
  const schema = 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#';
  const account = (i: number) => ({
    type: 'Microsoft.Storage/storageAccounts',
    apiVersion: '2025-06-01',
    name: `stpatientrecords${String(i).padStart(6, '0')}`,
    location: 'eastus2',
    kind: 'StorageV2',
    sku: { name: 'Standard_LRS' },
    properties: { minimumTlsVersion: 'TLS1_0', allowBlobPublicAccess: true, publicNetworkAccess: 'Enabled' },
  });
  const modules = Array.from({ length: Math.ceil(count / 500) }, (_, m) => ({
    type: 'Microsoft.Resources/deployments',
    apiVersion: '2022-09-01',
    name: `module-${m}`,
    properties: {
      mode: 'Incremental',
      expressionEvaluationOptions: { scope: 'inner' },
      template: {
        $schema: schema,
        contentVersion: '1.0.0.0',
        resources: Array.from({ length: Math.min(500, count - m * 500) }, (_, i) => account(m * 500 + i)),
      },
    },
  }));
  return { $schema: schema, contentVersion: '1.0.0.0', resources: modules };
}
