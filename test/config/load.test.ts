import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadJudgingInputs } from '../../src/gate/judging.js';
import { loadConfig } from '../../src/config/load.js';
import { defaultConfig } from '../../src/config/schema.js';
import { ConfigurationError } from '../../src/core/errors.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function scratch(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'azure-hipaa-config-'));
}

describe('loadConfig', () => {
  it('returns the built-in defaults when no path is given and azure-hipaa.yml is absent', async () => {
    const cwd = await scratch();
    const loaded = await loadConfig(undefined, { cwd });
    expect(loaded).toEqual({ config: defaultConfig(), source: 'defaults', baseDir: cwd });
  });

  it('reads azure-hipaa.yml from the working directory when present', async () => {
    const cwd = await scratch();
    await writeFile(join(cwd, 'azure-hipaa.yml'), 'region: westus3\n');
    const loaded = await loadConfig(undefined, { cwd });
    expect(loaded.source).toBe('azure-hipaa.yml');
    expect(loaded.baseDir).toBe(cwd);
    expect(loaded.config.region).toBe('westus3');
    expect(loaded.locate?.(['region'])).toMatchObject({ file: 'azure-hipaa.yml', line: 1 });
  });

  it('rejects an explicit path that does not exist', async () => {
    const cwd = await scratch();
    await expect(loadConfig('missing.yml', { cwd })).rejects.toThrow(ConfigurationError);
    await expect(loadConfig('missing.yml', { cwd })).rejects.toThrow(/missing.yml not found/);
  });

  it('lists every problem with its file, line and config path', async () => {
    const cwd = await scratch();
    const text = [
      'region: eastus2', // 1
      'keyVault:', // 2
      '  softDeleteRetentionInDays: 120', // 3
      'logAnalytics:', // 4
      '  retentionInDays: 2190', // 5
      '  auditTableTotalRetentionInDays: 5000', // 6
      'storage:', // 7
      '  name: Backup_Account', // 8
      '  colour: blue', // 9
      '',
    ].join('\n');
    await writeFile(join(cwd, 'prod.yml'), text);
    const error = await loadConfig('prod.yml', { cwd }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    const problems = (error as ConfigurationError).problems;
    expect(problems.map((problem) => [problem.where, problem.file, problem.line])).toEqual([
      ['prod.yml:3 keyVault.softDeleteRetentionInDays', 'prod.yml', 3],
      ['prod.yml:5 logAnalytics.retentionInDays', 'prod.yml', 5],
      ['prod.yml:6 logAnalytics.auditTableTotalRetentionInDays', 'prod.yml', 6],
      ['prod.yml:8 storage.name', 'prod.yml', 8],
      ['prod.yml:9 storage.colour', 'prod.yml', 9],
    ]);
    expect((error as Error).message).toMatch(/5 problems/);
  });

  it('reports YAML syntax errors with their line', async () => {
    const cwd = await scratch();
    await writeFile(join(cwd, 'bad.yml'), 'keyVault:\n  name: [unclosed\n');
    const error = (await loadConfig('bad.yml', { cwd }).catch((caught: unknown) => caught)) as ConfigurationError;
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.problems[0]?.line).toBeGreaterThan(0);
  });
});

describe('the example config', () => {
  it('loads cleanly, and its sample BAA evidence matches the file beside it', async () => {
    const loaded = await loadConfig('examples/azure-hipaa.yml', { cwd: root });
    expect(loaded.source).toBe('examples/azure-hipaa.yml');
    const { baa: evidence } = await loadJudgingInputs(loaded, { cwd: root });
    expect(evidence).toBeDefined();
    const text = await readFile(join(loaded.baseDir, evidence?.file ?? ''));
    expect(createHash('sha256').update(text).digest('hex')).toBe(evidence?.sha256);
    expect(evidence?.found).toEqual({ sha256: evidence?.sha256 });
    expect(text.toString()).toMatch(/SAMPLE - NOT A REAL BUSINESS ASSOCIATE AGREEMENT/);
    expect(evidence?.reviewedDate).toBe('2026-11-01');
  });

  it('names the committed JSON Schema for editors', async () => {
    const text = await readFile(join(root, 'examples/azure-hipaa.yml'), 'utf8');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/azure-hipaa.schema.json');
  });
});
