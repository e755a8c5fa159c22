/**
 * The rehearsal's plan phase: the gate judges the config it is given, whatever the file is called,
 * and the phase fails when the gate does not pass. In process: no sandbox is started.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { planPhase, type Rehearsal } from '../../src/cli/commands/rehearse.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/core/logger.js';
import { repoRoot } from '../helpers/run-action.js';

let work: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'rehearse-plan-'));
  await mkdir(join(work, 'compliance'));
  // A name that reads as an option on a command line: the example config, with its sample BAA evidence.
  await copyFile(join(repoRoot, 'examples', 'azure-hipaa.yml'), join(work, '-prod.yml'));
  await copyFile(join(repoRoot, 'examples', 'compliance', 'azure-baa-sample.txt'), join(work, 'compliance', 'azure-baa-sample.txt'));
  // The built-in defaults, which have no BAA evidence.
  await writeFile(join(work, '-dev.yml'), 'region: eastus2\n');
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A rehearsal of `config` before any phase has run, and what it prints. */
async function rehearsal(config: string): Promise<{ r: Rehearsal; printed: () => string }> {
  const out: string[] = [];
  const context = { args: [], stdout: (text: string) => out.push(text), stderr: () => {}, logger: silentLogger, cwd: work, env: {} };
  const options = { cwd: work, config, context: '.', dockerfile: 'Dockerfile', devVault: 'dev-secrets' };
  const { config: loaded } = await loadConfig(config, { cwd: work });
  const r: Rehearsal = {
    options,
    context,
    logger: silentLogger,
    config: loaded,
    phases: [],
    sandbox: undefined,
    dockerd: undefined,
    image: undefined,
    contextDir: undefined,
    fqdn: undefined,
    edgeHost: undefined,
    appHost: undefined,
  };
  return { r, printed: () => out.join('') };
}

it('plans and judges a config whose file name starts with a dash', async () => {
  const { r, printed } = await rehearsal('-prod.yml');
  await expect(planPhase(r)).resolves.toBe('the gate passes');
  expect(printed()).toMatch(/^Environment from -prod\.yml: \d+ resources\n/);
  expect(printed()).toContain('HIPAA gate: PASS');
});

it('fails the phase, the findings printed, when the gate does not pass the plan', async () => {
  const { r, printed } = await rehearsal('-dev.yml');
  await expect(planPhase(r)).rejects.toThrow('the HIPAA gate does not pass the plan');
  expect(printed()).toContain('baa.evidence');
});
