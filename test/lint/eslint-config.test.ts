/**
 * The lint that catches async mistakes and overgrown files: eslint.config.js run through ESLint on
 * small files in a project of their own (a one-file tsconfig keeps the type-aware rules' program
 * small and fast).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ESLint } from 'eslint';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot } from '../helpers/run-action.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'eslint-config-'));
  const compilerOptions = { strict: true, target: 'ES2023', lib: ['ES2023'], module: 'NodeNext', types: [] };
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.ts'] }));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The rule ids the project's config reports on `code`, saved as `name` in the probe project. */
async function ruleIds(name: string, code: string): Promise<(string | null)[]> {
  await writeFile(join(dir, name), code);
  const eslint = new ESLint({ cwd: dir, overrideConfigFile: join(repoRoot, 'eslint.config.js') });
  const [result] = await eslint.lintFiles([name]);
  return (result?.messages ?? []).map((message) => message.ruleId);
}

it('reports a promise nobody awaits, a promise where a callback returns void, and a switch that misses a case', async () => {
  const code = [
    'export async function save(): Promise<void> {}',
    'save();',
    '[1].forEach(async () => save());',
    "export function size(kind: 'small' | 'large'): number {",
    '  switch (kind) {',
    "    case 'small':",
    '      return 1;',
    '  }',
    '  return 0;',
    '}',
    '',
  ].join('\n');
  expect(await ruleIds('async.ts', code)).toEqual([
    '@typescript-eslint/no-floating-promises',
    '@typescript-eslint/no-misused-promises',
    '@typescript-eslint/switch-exhaustiveness-check',
  ]);
});

it("knows Node's globals in JavaScript files, and still reports a name that is none", async () => {
  const code =
    'setInterval(() => {}, 1).unref();\nstructuredClone(new AbortController());\nawait fetch(new URL("http://127.0.0.1/"));\nnotAGlobal();\n';
  expect(await ruleIds('script.mjs', code)).toEqual(['no-undef']);
});

it('reports a file over 600 lines of code, counting neither comments nor blank lines', async () => {
  const lines = (count: number) => Array.from({ length: count }, (_, i) => `export const line${i} = ${i};`);
  const explained = (count: number) => lines(count).flatMap((line) => ['', '// why', line]);
  expect(await ruleIds('explained.ts', explained(600).join('\n'))).toEqual([]);
  expect(await ruleIds('long.ts', lines(601).join('\n'))).toEqual(['max-lines']);
});

it('lets only the listed long files past the limit, and lists none that is gone', async () => {
  const { LONG_FILES } = (await import(pathToFileURL(join(repoRoot, 'eslint.config.js')).href)) as { LONG_FILES: string[] };
  expect(LONG_FILES.filter((file) => !existsSync(join(repoRoot, file)))).toEqual([]);
  const eslint = new ESLint({ cwd: repoRoot });
  const maxLines = async (file: string) =>
    ((await eslint.calculateConfigForFile(file)) as { rules: Record<string, unknown[]> }).rules['max-lines'];
  for (const file of LONG_FILES) expect((await maxLines(file))?.[0], file).toBe(0);
  expect(await maxLines('sandbox/apps/runtime.ts')).toEqual([2, { max: 600, skipBlankLines: true, skipComments: true }]);
});
