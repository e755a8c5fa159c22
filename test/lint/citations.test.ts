/**
 * A comment that cites a file of this repository names one that exists: a reader following it
 * finds it. Paths resolve from the repository root or from the citing file's folder, `.js` as
 * the `.ts` it is compiled from; bundles (`dist/`) are build output and not checked.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/run-action.js';

const CODE = ['src', 'sandbox', 'actions', 'cli', 'scripts', 'bench', 'test'];
const COMMENT = /(?<!:)\/\/[^\n]*|\/\*[\s\S]*?\*\//g;
const PATH = /(?<![\w/.@:%-])((?:\.{1,2}\/)?[\w.-]+(?:\/[\w.-]+)+\.(?:md|ts|json|ya?ml|m?js))(?![\w/])/g;

function codeFiles(): string[] {
  return CODE.flatMap((dir) =>
    readdirSync(join(repoRoot, dir), { recursive: true, encoding: 'utf8' })
      .map((file) => join(dir, file))
      .filter((file) => file.endsWith('.ts') && !/(^|\/)(dist|fixtures|node_modules)\//.test(file)),
  );
}

function exists(path: string, from: string): boolean {
  const candidates = [path, join(dirname(from), path)].flatMap((candidate) => [candidate, candidate.replace(/\.js$/, '.ts')]);
  return candidates.some((candidate) => existsSync(join(repoRoot, candidate)));
}

it('cites in comments only files that exist', () => {
  const missing: string[] = [];
  let cited = 0;
  for (const file of codeFiles())
    for (const comment of readFileSync(join(repoRoot, file), 'utf8').match(COMMENT) ?? [])
      for (const [, path = ''] of comment.matchAll(PATH))
        if (!path.split('/').includes('dist')) {
          cited++;
          if (!exists(path, file)) missing.push(`${file}: ${path}`);
        }
  expect(missing).toEqual([]);
  expect(cited).toBeGreaterThan(20);
});
