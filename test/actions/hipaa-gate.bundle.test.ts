/** The bundled hipaa-gate action, run as the runner runs it, on the runner's Node 24 and the installed Node. */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../../src/config/schema.js';
import { renderTemplate } from '../../src/template/render.js';
import { actionRuntimes, repoRoot, runAction } from '../helpers/run-action.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gate-action-'));
  const template = renderTemplate(defaultConfig()) as unknown as { resources: { type: string; properties?: Record<string, unknown> }[] };
  const vault = template.resources.find((r) => r.type === 'Microsoft.KeyVault/vaults');
  if (!vault?.properties) throw new Error('the rendered template has no Key Vault');
  vault.properties['enablePurgeProtection'] = false;
  await writeFile(join(work, 'noncompliant.json'), JSON.stringify(template, null, 2));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe.each(actionRuntimes())('hipaa-gate action on $label', ({ node }) => {
  it('passes on the example config, with outputs, a JSON report and a job summary', async () => {
    const reportPath = join(work, `report-${node.length}.json`);
    const run = await runAction('hipaa-gate', {
      node,
      inputs: { config: 'examples/azure-hipaa.yml', 'report-path': reportPath },
      env: { RUNNER_TEMP: work },
      cwd: repoRoot,
    });
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(run.outputs['verdict']).toBe('pass');
    expect(run.outputs['failed-count']).toBe('0');
    expect(run.outputs['report-path']).toBe(reportPath);
    const report = JSON.parse(await readFile(reportPath, 'utf8')) as { verdict: string; input: { kind: string } };
    expect(report).toMatchObject({ verdict: 'pass', input: { kind: 'config' } });
    expect(run.summary.trimStart().split('\n')[0]).toMatch(/HIPAA gate: pass/);
    expect(run.summary).toContain('```mermaid');
  });

  it('fails the step on a non-compliant template, with an annotation at the offending line and SARIF', async () => {
    const sarifPath = join(work, `gate-${node.length}.sarif`);
    const run = await runAction('hipaa-gate', {
      node,
      inputs: { template: join(work, 'noncompliant.json'), 'sarif-path': sarifPath, 'report-path': join(work, 'r.json') },
      cwd: work,
    });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['verdict']).toBe('fail');
    expect(Number(run.outputs['failed-count'])).toBeGreaterThanOrEqual(1);
    const annotation = run.commands.find((c) => c.command === 'error' && c.message.includes('keyvault.purge-protection'));
    expect(annotation?.properties['file']).toContain('noncompliant.json');
    const lines = (await readFile(join(work, 'noncompliant.json'), 'utf8')).split('\n');
    expect(lines[Number(annotation?.properties['line']) - 1]).toContain('"enablePurgeProtection": false');
    expect(run.summary.trimStart().split('\n')[0]).toMatch(/HIPAA gate: fail/);
    const sarif = JSON.parse(await readFile(sarifPath, 'utf8')) as { version: string; runs: { results: { ruleId: string }[] }[] };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]?.results.map((r) => r.ruleId)).toContain('keyvault.purge-protection');
  });

  it('rejects contradictory inputs with a clear error', async () => {
    const run = await runAction('hipaa-gate', { node, inputs: { live: 'true', template: 'b.json' }, cwd: work });
    expect(run.exitCode).toBe(1);
    expect(run.commands.find((c) => c.command === 'error')?.message).toMatch(
      /Input "live" judges the deployed resources and Input "template" a file/,
    );
  });
});
