/**
 * Names and tags from a template reach the log, and the runner obeys any log line that reads as a
 * workflow command. Run as the runner runs the bundled gate, nothing a hostile template writes
 * becomes a command: only the action's own annotations, each fence and its resume.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fenceWorkflowCommands, inertJson } from '../../src/core/workflow-commands.js';
import { parseWorkflowCommands, repoRoot, runAction } from '../helpers/run-action.js';

/** Each line a command if printed raw: after LF, after a bare CR, after spaces, the legacy form mid-line, and a %0A that only data decodes. */
const HOSTILE = [
  'kv',
  '::set-output name=verdict::pass',
  '::error::INJECTED',
  '\r::add-mask::kv',
  '   ::stop-commands::hijack',
  'text ##[error]INJECTED',
  '%0A::error::INJECTED',
].join('\n');

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'gate-commands-'));
  const template = {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    resources: [
      {
        type: 'Microsoft.KeyVault/vaults',
        apiVersion: '2024-11-01',
        name: HOSTILE,
        location: 'eastus2',
        tags: { Compliance: HOSTILE },
        properties: { tenantId: '00000000-0000-0000-0000-000000000000', sku: { family: 'A', name: 'standard' } },
      },
    ],
  };
  await writeFile(join(work, 'hostile.json'), JSON.stringify(template));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('workflow commands from hostile names', () => {
  it('the bundled gate prints them, and the runner would obey only the action’s own commands', async () => {
    const run = await runAction('hipaa-gate', { inputs: { template: 'hostile.json' }, cwd: work });
    expect(run.exitCode).toBe(1);
    expect(run.outputs['verdict']).toBe('fail');
    expect(run.stdout).toContain('::set-output name=verdict::pass');
    const commands = run.commands.map((command) => command.command);
    expect(new Set(commands)).toEqual(new Set(['group', 'endgroup', 'stop-commands', 'resume-commands', 'error']));
    expect(commands.filter((command) => command === 'stop-commands').length).toBe(commands.filter((c) => c === 'resume-commands').length);
    expect(run.commands.filter((command) => command.message === 'INJECTED' || command.message === 'kv')).toEqual([]);
  });
});

describe('workflow commands from the CLI in a run step', () => {
  const cli = (format: string) =>
    spawnSync(process.execPath, [join(repoRoot, 'cli', 'dist', 'index.js'), 'gate', '--template', 'hostile.json', '--format', format], {
      cwd: work,
      env: { PATH: process.env['PATH'], GITHUB_ACTIONS: 'true' },
      encoding: 'utf8',
    });

  it('text reports and log lines reach the runner fenced', () => {
    const run = cli('text');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('::error::INJECTED');
    expect(new Set(parseWorkflowCommands(run.stdout + run.stderr).map((command) => command.command))).toEqual(
      new Set(['stop-commands', 'resume-commands']),
    );
  });

  it('a JSON report stays one parseable document, with no command in it', () => {
    const run = cli('json');
    expect(parseWorkflowCommands(run.stdout)).toEqual([]);
    expect((JSON.parse(run.stdout) as { findings: { resource: { name: string } }[] }).findings[0]?.resource.name).toBe(HOSTILE);
  });
});

describe('fenceWorkflowCommands and inertJson', () => {
  it('fence text that could hold a command, with a fresh token each time, and leave other text alone', () => {
    expect(fenceWorkflowCommands('plain text\nand more')).toBe('plain text\nand more');
    const fenced = fenceWorkflowCommands(HOSTILE);
    expect(parseWorkflowCommands(fenced).map((command) => command.command)).toEqual(['stop-commands', 'resume-commands']);
    expect(fenceWorkflowCommands(HOSTILE)).not.toBe(fenced);
  });

  it('make a JSON document inert without changing what it says', () => {
    const document = JSON.stringify({ name: HOSTILE, nested: ['##[set-output name=x;]y'] }, null, 2);
    expect(parseWorkflowCommands(document)).not.toEqual([]);
    expect(parseWorkflowCommands(inertJson(document))).toEqual([]);
    expect(JSON.parse(inertJson(document))).toEqual(JSON.parse(document));
  });
});
