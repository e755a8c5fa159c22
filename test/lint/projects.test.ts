/**
 * `npm run test:unit` is the contributor's fast loop: the unit project holds no test that starts a
 * docker daemon or runs a bundled action, the CLI or a workflow step in a child process. The file
 * name tells which is which (vitest.config.ts's OUT_OF_PROCESS): `*.test.ts` in process,
 * `*.integration.test.ts` out of process, `*.bundle.test.ts` running a bundled `dist/index.js`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import picomatch from 'picomatch';
import { expect, it } from 'vitest';
import { OUT_OF_PROCESS } from '../../vitest.config.js';
import { repoRoot } from '../helpers/run-action.js';

/** What only a test that runs a bundle does: an action's (workflow jobs run theirs too) or the CLI's. */
const BUNDLE_MARKS = [/\brunAction\(/, /\brunWorkflow\(/, /'cli',\s*'dist'/];

/** What only an out-of-process test does. */
const OUT_OF_PROCESS_MARKS = [...BUNDLE_MARKS, /\bstartDockerd\(/, /\b(sandboxEnvironment|provisionedEnvironment)\(/, /\brunStep\(/];

function testFiles(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts'))
    .map((file) => relative(repoRoot, join(repoRoot, dir, file)));
}

const files = [...testFiles('test'), ...testFiles('sandbox')];
const outOfProcess = picomatch(OUT_OF_PROCESS);
const marked = (file: string, marks: RegExp[]) => marks.some((mark) => mark.test(readFileSync(join(repoRoot, file), 'utf8')));

it('keeps every test that starts a docker daemon, a bundle or a workflow step out of the unit project', () => {
  const unit = files.filter((file) => !outOfProcess(file));
  expect(unit.filter((file) => marked(file, OUT_OF_PROCESS_MARKS))).toEqual([]);
  expect(unit.length).toBeGreaterThan(20);
});

it('names every test that runs a bundle *.bundle.test.ts, and only those', () => {
  const bundles = files.filter((file) => marked(file, BUNDLE_MARKS));
  expect(bundles.filter((file) => !file.endsWith('.bundle.test.ts'))).toEqual([]);
  expect(files.filter((file) => file.endsWith('.bundle.test.ts') && !bundles.includes(file))).toEqual([]);
  expect(bundles.length).toBeGreaterThan(5);
});

it('leaves the unit project by suffix alone, each suffix naming tests', () => {
  expect(OUT_OF_PROCESS).toEqual(['**/*.integration.test.ts', '**/*.bundle.test.ts']);
  expect(OUT_OF_PROCESS.filter((pattern) => !files.some((file) => picomatch(pattern)(file)))).toEqual([]);
});
