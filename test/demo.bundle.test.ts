/**
 * `npm run demo` as a newcomer runs it: the bundled CLI, no Azure account, the whole migration
 * rehearsed, on a machine whose docker client is not installed yet: as root the demo installs it
 * with apt-get, saying what and why, and runs every phase.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { chmod, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
let machine: string;

/**
 * /usr/bin without `docker`, and an apt-get that records what it is asked and installs docker.io by
 * linking Debian's docker client back in: this machine as a fresh one would be.
 */
beforeAll(async () => {
  machine = await mkdtemp(join(tmpdir(), 'fresh-machine-'));
  for (const name of readdirSync('/usr/bin').filter((name) => name !== 'docker' && name !== 'apt-get'))
    await symlink(join('/usr/bin', name), join(machine, name));
  await writeFile(
    join(machine, 'apt-get'),
    `#!/bin/sh\necho "$*" >> ${machine}/apt.log\ncase " $* " in *" docker.io "*) ln -s /usr/bin/docker ${machine}/docker ;; esac\n`,
  );
  await chmod(join(machine, 'apt-get'), 0o755);
});
afterAll(() => rm(machine, { recursive: true, force: true }));

it('installs the missing docker client, then rehearses the whole migration: plan, provision, secrets, image, first deploy, next push, webhook, each phase done, no value shown', async () => {
  const started = Date.now();
  const run = spawnSync(process.execPath, [join(root, 'cli', 'dist', 'index.js'), 'demo'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 240_000,
    env: { ...process.env, PATH: `${machine}:/usr/sbin` },
  });
  const output = `${run.stdout}${run.stderr}`;
  expect(run.status, output).toBe(0);
  expect(await readFile(join(machine, 'apt.log'), 'utf8')).toBe('update -qq\ninstall -y -qq docker.io\n');
  expect(run.stdout).toContain('Installing with apt-get (this process is root; it is missing):\n  docker.io: builds, pushes and runs');
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
    'Staging, then production with one digest',
    "Switch the phone number's voice webhook",
  ])
    expect(table).toMatch(new RegExp(`\\| \\d\\. ${phase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}[^|]*\\| done \\|`));
  // The production registry and vault stay closed to the machine running the demo: the control plane carries both.
  expect(run.stdout).toMatch(
    /seniorly-secrets -> seniorly-prod-secrets through Resource Manager \(the target refuses this network\): copied \d+/,
  );
  expect(run.stdout).toMatch(/imported by digest into seniorlyprodacr\.azurecr\.io through Resource Manager/);
  // Staging's digest, and no other, reaches production.
  expect(run.stdout).toMatch(
    /One digest from build to production: (sha256:[a-f0-9]{64}) \(seniorlybuildacr\.azurecr\.io\/voice-agent@\1 in staging and production\)/,
  );
  // The next push shifts traffic step by step, the previous revision serving the rest.
  expect(run.stdout).toMatch(/Traffic: voice-agent--r[0-9a-f]{6} 10%, voice-agent--r[0-9a-f]{6} 90%\./);
  // Production sits behind its Front Door edge: the steps are probed and the phone number pointed through it.
  const edge = /The app's edge: https:\/\/([a-z0-9-]+\.z01\.azurefd\.net) \(Front Door with its WAF/.exec(run.stdout)?.[1];
  expect(edge).toBeDefined();
  expect(run.stdout).toContain(`serves https://${edge} (through the edge)`);
  expect(run.stdout).toContain(`+15555550123: VoiceUrl https://${edge}/voice, fallback https://dev-voice.example.com/voice`);
  // The seeded values are `rehearsal-` and 24 hex digits; none may reach the terminal.
  expect(/rehearsal-[0-9a-f]{24}/.test(output)).toBe(false);
  expect(run.stdout).toContain('nothing reached Azure');
  // The bound for a newcomer's first run.
  expect(Date.now() - started).toBeLessThan(120_000);
}, 240_000);
