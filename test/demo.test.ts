/** `npm run demo` as a newcomer runs it: the bundled CLI, no Azure account, the whole migration rehearsed. */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

it('rehearses the whole migration: plan, provision, secrets, image, first deploy, next push, webhook, each phase done, no value shown', () => {
  const started = Date.now();
  const run = spawnSync(process.execPath, [join(root, 'cli', 'dist', 'index.js'), 'demo'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
  });
  const output = `${run.stdout}${run.stderr}`;
  expect(run.status, output).toBe(0);
  expect(run.stdout).toContain('HIPAA gate: PASS');
  const table = run.stdout.slice(run.stdout.indexOf('== What happened'));
  for (const phase of [
    'Plan: render the environment',
    'A local Azure: the sandbox',
    'Provision seniorly-prod-rg',
    'Migrate secrets: seniorly-secrets to seniorly-prod-secrets',
    'Build the image, push it to seniorlybuildacr with the workflow identity, import it by digest into the closed seniorlyprodacr',
    'First deploy: a candidate at 0%',
    'The next push: its image built and pushed',
    "Switch the phone number's voice webhook",
  ])
    expect(table).toMatch(new RegExp(`\\| \\d\\. ${phase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^|]*\\| done \\|`));
  // The production registry and vault stay closed to the machine running the demo: the control plane carries both.
  expect(run.stdout).toMatch(/seniorly-secrets -> seniorly-prod-secrets through Resource Manager \(the target refuses this network\): copied \d+/);
  expect(run.stdout).toMatch(/imported by digest into seniorlyprodacr\.azurecr\.io through Resource Manager/);
  // The next push shifts traffic step by step, the previous revision serving the rest.
  expect(run.stdout).toMatch(/Traffic: voice-agent--r[0-9a-f]{6} 10%, voice-agent--r[0-9a-f]{6} 90%\./);
  expect(run.stdout).toMatch(
    /\+15555550123: VoiceUrl https:\/\/voice-agent\.[a-z0-9.-]+\.azurecontainerapps\.io\/voice, fallback https:\/\/dev-voice\.example\.com\/voice/,
  );
  // The seeded values are `rehearsal-` and 24 hex digits; none may reach the terminal.
  expect(/rehearsal-[0-9a-f]{24}/.test(output)).toBe(false);
  expect(run.stdout).toContain('nothing reached Azure');
  // The bound for a newcomer's first run.
  expect(Date.now() - started).toBeLessThan(120_000);
}, 240_000);
