/** Module names say what each module does: one "template" (config to our ARM template), not three (issue 25, "the house"). */
import { readdirSync } from 'node:fs';
import { join, parse } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/run-action.js';

/** Every folder and .ts module under `dir`, as repository paths. */
function modules(dir: string): string[] {
  return readdirSync(join(repoRoot, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isDirectory() || entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name).slice(repoRoot.length + 1));
}

it('names one module of the product and the sandbox "template": the renderer of our ARM template', () => {
  const named = [...modules('src'), ...modules('sandbox')].filter((path) => parse(path).name === 'template');
  expect(named).toEqual(['src/template']);
});
