/**
 * `npm test` (scripts/test.mjs) bounds each vitest run: a run that hangs, as CI's once did after its
 * last test file with nothing printed for 80 minutes, is stopped at the bound, says which file and
 * test were still running and what its processes were waiting on, and leaves none of them behind;
 * a vitest that does not exit once every file has ended is stopped with a warning, its results kept.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot } from '../helpers/run-action.js';

const resultsDir = mkdtempSync(join(tmpdir(), 'test-runner-'));
/** How long the blocked fixture's child sleeps: this file's own number, so a run beside this one cannot be mistaken for it. */
const SLEEP_SECONDS = String(300 + Math.floor(Math.random() * 600));
afterAll(() => rmSync(resultsDir, { recursive: true, force: true }));

function runTests(
  env: Record<string, string>,
  config = 'vitest.config.ts',
  whileRunning: (signal: (name: NodeJS.Signals) => void) => void = () => {},
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(repoRoot, 'scripts', 'test.mjs'), '--config', `test/fixtures/hung-run/${config}`], {
      cwd: repoRoot,
      env: { ...process.env, TEST_RESULTS_DIR: resultsDir, FIXTURE_SLEEP_SECONDS: SLEEP_SECONDS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const watch = setInterval(() => whileRunning((name) => child.kill(name)), 200);
    child.on('close', (code) => {
      clearInterval(watch);
      resolve({ code, output });
    });
  });
}

/** Whether the blocked fixture's `sleep` (or its orphaned one) still runs. */
function fixtureSleepRuns(): boolean {
  const commands = [SLEEP_SECONDS, String(Number(SLEEP_SECONDS) + 1)].map((seconds) => `sleep\x00${seconds}\x00`);
  return readdirSync('/proc').some((pid) => {
    try {
      return /^\d+$/.test(pid) && commands.includes(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
    } catch {
      return false;
    }
  });
}

it('stops a run that outlives its bound, names the file and test still running and their processes, and leaves none behind', async () => {
  const { code, output } = await runTests({ TEST_RUN_LIMIT_MINUTES: '0.3' });
  expect(code).toBe(1);
  expect(output).toContain('vitest has run past its bound of 0.3 min (TEST_RUN_LIMIT_MINUTES) and is stopped. Still running:');
  // A worker blocked in a synchronous call reports nothing more; one waiting on a promise reports its test.
  expect(output).toMatch(/blocked\.fixture\.ts: running [\d.]+ min, no test reported running/);
  expect(output).toMatch(/waiting\.fixture\.ts: running [\d.]+ min, in "waits for ever" for [\d.]+ min/);
  expect(output).toContain(` sleep ${SLEEP_SECONDS}\n`);
  expect(output).toContain(` sleep ${Number(SLEEP_SECONDS) + 1} (orphan of vitest)\n`);
  // On both runtimes: the test that finished passed, each file still running counts as a failure.
  expect(output).toMatch(/^2 passed, 4 failed$/m);
  expect(fixtureSleepRuns()).toBe(false);
}, 120_000);

it('stops a vitest that does not exit once every test file has ended, and counts what the files reported', async () => {
  const { code, output } = await runTests({ TEST_EXIT_GRACE_SECONDS: '3' }, 'exit.config.ts');
  expect(output).toContain(
    'warning: every test file ended 3 s ago and vitest has not exited; it is stopped and its results taken from the progress log.',
  );
  expect(output).toMatch(/^ +\d+ S \S+ .*vitest\.mjs run /m);
  expect(output).toMatch(/^2 passed, 0 failed$/m);
  expect(code).toBe(0);
}, 120_000);

it('stops the whole run on Ctrl-C: vitest and every process of its group end, and the next Node is not started', async () => {
  let sent = false;
  const { code, output } = await runTests({}, 'vitest.config.ts', (signal) => {
    // Once both fixtures are in their hanging tests (one waits, one blocks with its sleep running), as a person would press Ctrl-C.
    const progress = join(resultsDir, 'vitest-progress-0.log');
    if (!sent && existsSync(progress) && readFileSync(progress, 'utf8').includes('waits for ever') && fixtureSleepRuns()) {
      sent = true;
      signal('SIGINT');
    }
  });
  expect(sent).toBe(true);
  expect(code).toBe(130);
  // The orphan ignores SIGINT, as a shell's background job does: it is stopped and named.
  expect(output).toContain(`of vitest's processes outlived it and are stopped:`);
  expect(output).toContain(` sleep ${Number(SLEEP_SECONDS) + 1} (orphan of vitest)\n`);
  expect(output.match(/=== vitest on Node/g)).toHaveLength(1);
  expect(fixtureSleepRuns()).toBe(false);
}, 120_000);

it('refuses a bound that is not a positive number of minutes, naming the variable', async () => {
  const { code, output } = await runTests({ TEST_RUN_LIMIT_MINUTES: 'ten' });
  expect(code).toBe(2);
  expect(output).toContain('TEST_RUN_LIMIT_MINUTES must be a positive number of minutes, not "ten".');
  const grace = await runTests({ TEST_EXIT_GRACE_SECONDS: '-1' });
  expect(grace.code).toBe(2);
  expect(grace.output).toContain('TEST_EXIT_GRACE_SECONDS must be a positive number of seconds, not "-1".');
});
