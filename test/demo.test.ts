/** `npm run demo` as a newcomer runs it: the bundled CLI, no Azure account. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

it('plans and passes the example environment, then migrates ten secrets without showing a value', () => {
  const run = spawnSync(process.execPath, [join(root, 'cli', 'dist', 'index.js'), 'demo'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  expect(run.status, output).toBe(0);
  expect(run.stdout).toContain('HIPAA gate: PASS');
  expect(run.stdout).toMatch(/seniorly-secrets -> seniorly-prod-secrets: copied 10, unchanged 0, skipped 0, failed 0/);
  // The seeded values are `demo-` and 24 hex digits; none may reach the terminal.
  expect(/demo-[0-9a-f]{24}/.test(output)).toBe(false);
  expect(run.stdout).toContain('Sandbox stopped.');
}, 90_000);
