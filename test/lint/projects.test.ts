/**
 * `npm run test:unit` is the contributor's fast loop: the unit project holds no test that starts a
 * docker daemon or runs a bundled action, the CLI or a workflow step in a child process. Every such
 * test is listed in vitest.config.ts's OUT_OF_PROCESS, and every entry there still names a test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { expect, it } from 'vitest';
import { OUT_OF_PROCESS } from '../../vitest.config.js';
import { repoRoot } from '../helpers/run-action.js';

/** What only an out-of-process test does. */
const OUT_OF_PROCESS_MARKS = [
  /\bstartDockerd\(/,
  /\b(sandboxEnvironment|provisionedEnvironment)\(/,
  /\brunAction\(/,
  /\brunStep\(/,
  /'cli',\s*'dist'/,
];

function testFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => relative(repoRoot, join(repoRoot, dir, file)));
}

const files = [...testFiles('test'), ...testFiles('sandbox')];
const outOfProcess = picomatch(OUT_OF_PROCESS);

it('keeps every test that starts a docker daemon, a bundle or a workflow step out of the unit project', () => {
  const unit = files.filter((file) => !outOfProcess(file));
  const misplaced = unit.filter((file) => OUT_OF_PROCESS_MARKS.some((mark) => mark.test(readFileSync(join(repoRoot, file), 'utf8'))));
  expect(misplaced).toEqual([]);
  expect(unit.length).toBeGreaterThan(20);
});

it('lists no out-of-process test that no longer exists', () => {
  expect(OUT_OF_PROCESS.filter((pattern) => !files.some((file) => picomatch(pattern)(file)))).toEqual([]);
});

it('lists by name only tests that do run out of process, so no in-process test leaves the fast loop', () => {
  const listed = files.filter((file) => outOfProcess(file) && !file.endsWith('.integration.test.ts'));
  const inProcess = listed.filter((file) => !OUT_OF_PROCESS_MARKS.some((mark) => mark.test(readFileSync(join(repoRoot, file), 'utf8'))));
  expect(inProcess).toEqual([]);
  expect(listed.length).toBeGreaterThan(5);
});
