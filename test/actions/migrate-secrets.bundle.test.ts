/**
 * The bundled migrate-secrets action run as the runner runs it, under `strace -f`: it opens no
 * file for writing but the runner's own GITHUB_* files, and no secret value reaches those files
 * or stdout except inside ::add-mask:: commands.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { createArmVault } from '../helpers/vaults.js';
import { actionRuntimes, runAction } from '../helpers/run-action.js';

const WRITE_FLAGS = /O_WRONLY|O_RDWR|O_CREAT|O_APPEND|O_TRUNC/;

function stracePath(): string {
  try {
    return execFileSync('which', ['strace'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('strace is not installed: `apt-get install -y strace` (.ci/run installs it).');
  }
}

/** A 25 KB JSON credential with CRLF and bare-CR line ends and punctuation-only lines, as pasted from a file. */
function serviceAccountJson(): string {
  const lines = ['{'];
  for (let i = 0; lines.join('\n').length < 25_000; i++) lines.push(`  "field_${i}": "${crypto.randomUUID()}",`, '  [', '  ],');
  lines.push('}');
  return lines.map((line, index) => line + (index % 3 === 0 ? '\r\n' : index % 3 === 1 ? '\r' : '\n')).join('');
}

let sandbox: Sandbox;
let work: string;
const values = new Map<string, string>();

beforeAll(async () => {
  sandbox = await startSandbox({ vaults: ['kv-strace-src', 'kv-strace-dst'], latencyMs: 0 });
  work = await mkdtemp(join(tmpdir(), 'strace-'));
  // Two production vaults as provision makes them: public network access disabled, so only Resource Manager writes them.
  for (const name of ['kv-strace-arm-1', 'kv-strace-arm-2']) await createArmVault(sandbox, 'strace-rg', name);
  const source = sandbox.server.keyVaults.vaults.get('kv-strace-src');
  for (let i = 0; i < 12; i++) {
    // Distinctive, random values, one of them multi-line, so a leak cannot hide.
    const value =
      i === 0
        ? `line-one-${crypto.randomUUID()}\nline-two-${crypto.randomUUID()}`
        : i === 1
          ? serviceAccountJson()
          : `value-${crypto.randomUUID()}`;
    values.set(`secret-${i}`, value);
    source?.put(`secret-${i}`, { value, enabled: true });
  }
});
afterAll(async () => {
  await sandbox?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Runs the bundled action under strace into `target` and checks the copy, the files written and every output for values. */
async function copiedUnderStrace(node: string, target: string): Promise<Awaited<ReturnType<typeof runAction>>> {
  const trace = join(work, `trace-${target}-${node.length}.txt`);
  const run = await runAction('migrate-secrets', {
    node,
    wrapper: [stracePath(), '-f', '-qq', '-e', 'trace=open,openat,creat', '-o', trace],
    inputs: { 'source-vault': 'kv-strace-src', 'target-vault': target, overwrite: 'always' },
    env: sandbox.env,
    cwd: work,
  });
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  expect(run.outputs['copied']).toBe('12');
  expect(run.outputs['failed']).toBe('0');
  const vault = sandbox.server.keyVaults.vaults.get(target);
  for (const [name, value] of values) expect(vault?.get(name)?.secret.versions.at(-1)?.value === value, name).toBe(true);

  const writtenPaths = (await readFile(trace, 'utf8'))
    .split('\n')
    .filter((line) => WRITE_FLAGS.test(line) && !/= -1 /.test(line))
    .map((line) => /"([^"]+)"/.exec(line)?.[1] ?? line);
  // The trace does see writes: the runner's output file is among them.
  expect(writtenPaths.some((path) => path.endsWith('/github_output'))).toBe(true);
  const unexpected = [...new Set(writtenPaths)].filter(
    (path) => !/\/(github_output|step_summary)$/.test(path) && !path.startsWith('/dev/'),
  );
  expect(unexpected).toEqual([]);

  const outsideMasks = run.stdout
    .split(/\r\n|\r|\n/)
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n');
  const leaks = [...values.entries()].filter(([, value]) =>
    value
      .split(/\r\n|\r|\n/)
      .map((piece) => piece.trim())
      .filter((piece) => piece.length > 3)
      .some(
        (piece) =>
          outsideMasks.includes(piece) ||
          run.stderr.includes(piece) ||
          run.summary.includes(piece) ||
          Object.values(run.outputs).some((o) => o.includes(piece)),
      ),
  );
  expect(leaks.map(([name]) => name)).toEqual([]);
  // Each piece of each value registered exactly once, however often it was read; never a punctuation-only line.
  const masked = run.commands.filter((command) => command.command === 'add-mask').map((command) => command.message);
  const pieces = [...values.values()].flatMap((value) =>
    value
      .split(/\r\n|\r|\n/)
      .map((line) => line.trim())
      .filter((line) => line.startsWith('"') || /^(line|value)-/.test(line)),
  );
  expect(masked.toSorted()).toEqual(pieces.toSorted());
  return run;
}

describe.each(actionRuntimes())('migrate-secrets action on $label', ({ node, label }) => {
  it('copies every secret, writes only the runner files, and shows values only to ::add-mask::', async () => {
    const run = await copiedUnderStrace(node, 'kv-strace-dst');
    expect(run.summary).toContain('| data plane |');
  }, 60_000);

  it('into a vault closed to this network: through Resource Manager, still in memory only and masked', async () => {
    const run = await copiedUnderStrace(node, label.includes('24') ? 'kv-strace-arm-1' : 'kv-strace-arm-2');
    expect(run.summary).toContain('through Resource Manager (the target refuses this network)');
    expect(run.summary).toContain('| Resource Manager |');
  }, 60_000);
});

describe('migrate-secrets action cancelled', () => {
  it('ends at once on SIGTERM (the runner cancelling the job), the step failed as cancelled', async () => {
    // Every answer takes 2 s: the action is mid-listing when the signal comes, and cannot end by finishing.
    sandbox.server.setLatency(2000);
    try {
      let signalledAt = 0;
      const run = await runAction('migrate-secrets', {
        inputs: { 'source-vault': 'kv-strace-src', 'target-vault': 'kv-strace-dst' },
        env: sandbox.env,
        cwd: work,
        onStdout: (stdout, signal) => {
          if (signalledAt === 0 && stdout.includes('::group::List secrets')) {
            signalledAt = Date.now();
            signal('SIGTERM');
          }
        },
      });
      const endedAfter = Date.now() - signalledAt;
      expect(signalledAt, run.stdout + run.stderr).toBeGreaterThan(0);
      // Ended by the action, not by the signal: the runner shows why the step failed.
      expect(run.exitCode, run.stdout + run.stderr).toBe(1);
      expect(run.commands.filter((command) => command.command === 'error').map((command) => command.message)).toEqual([
        'The workflow run was cancelled.',
      ]);
      expect(endedAfter).toBeLessThan(1500);
      expect(run.stderr).toBe('');
    } finally {
      sandbox.server.setLatency(0);
    }
  }, 60_000);
});
