/**
 * The security-bearing `run:` steps of our workflows, each run alone in bash as the runner runs it
 * (test/helpers/workflow-run.ts runStep), against local git repositories and stand-ins for `gh`:
 * release.yml moves the major tag only to a reviewed commit on main, and to that exact commit;
 * tokens reach git through its environment, never its command line; cleanup.yml and cutover.yml
 * take numbers from callers only as plain integers; cleanup dates the cutover by GitHub's run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStep } from './helpers/workflow-run.js';

const TOKEN = 'ghs_not-a-real-token';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const REAL_GIT = execFileSync('bash', ['-c', 'command -v git'], { encoding: 'utf8' }).trim();

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'workflow-steps-'));
});
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true });
});

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8', stdio: 'pipe' }).trim();

/** A bare origin with main (commit `onMain`) and a commit that never reached main (`offMain`), and a clone of it. */
async function repositories(name: string): Promise<{ origin: string; clone: string; onMain: string; offMain: string }> {
  const origin = join(scratch, `${name}-origin.git`);
  const clone = join(scratch, `${name}-clone`);
  git(scratch, 'init', '-q', '--bare', '-b', 'main', origin);
  git(scratch, 'clone', '-q', origin, clone);
  await writeFile(join(clone, 'index.js'), 'reviewed\n');
  git(clone, 'add', '-A');
  git(clone, 'commit', '-qm', 'reviewed');
  git(clone, 'push', '-q', 'origin', 'HEAD:refs/heads/main');
  const onMain = git(clone, 'rev-parse', 'HEAD');
  git(clone, 'checkout', '-q', '-b', 'unreviewed');
  await writeFile(join(clone, 'index.js'), 'never reviewed\n');
  git(clone, 'commit', '-qam', 'unreviewed');
  const offMain = git(clone, 'rev-parse', 'HEAD');
  git(clone, 'checkout', '-q', onMain);
  return { origin, clone, onMain, offMain };
}

/**
 * A `git` ahead of the real one on PATH that writes down each command line, and for a command that
 * talks to the remote whether git sees the expected authorization header in its configuration.
 */
async function recordingGit(): Promise<{ path: string; log: string }> {
  const bin = join(scratch, 'recording-git-bin');
  const log = join(scratch, 'git-commands.log');
  await mkdir(bin, { recursive: true });
  await writeFile(log, '');
  await writeFile(
    join(bin, 'git'),
    `#!/bin/bash
printf 'argv:' >> "$GIT_LOG"; printf ' %q' "$@" >> "$GIT_LOG"; echo >> "$GIT_LOG"
for arg in "$@"; do
  case "$arg" in push|ls-remote|fetch)
    if [ "$("$REAL_GIT" config --get "http.https://github.com/.extraheader")" = "$EXPECTED_HEADER" ]; then echo "header: given to $arg" >> "$GIT_LOG"; else echo "header: missing for $arg" >> "$GIT_LOG"; fi
    break;;
  esac
done
exec "$REAL_GIT" "$@"
`,
  );
  await chmod(join(bin, 'git'), 0o755);
  return { path: `${bin}:${process.env['PATH'] ?? ''}`, log };
}

function runnerEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin',
    HOME: scratch,
    GIT_CONFIG_NOSYSTEM: '1',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'azure-hipaa/azure-hipaa-actions',
    ...extra,
  };
}

const releaseEvent = (tag: string) => ({
  repository: 'azure-hipaa/azure-hipaa-actions',
  server_url: 'https://github.com',
  token: TOKEN,
  event: { release: { tag_name: tag } },
});

describe('release.yml', () => {
  const resolve = (workspace: string, tag: string) =>
    runStep({
      workflow: '.github/workflows/release.yml',
      job: 'check-dist',
      step: 'the release is a reviewed commit on main',
      github: releaseEvent(tag),
      env: runnerEnv(),
      workspace,
    });

  it('resolves the release tag to the commit it checked, once, when that commit is on main', async () => {
    const { clone, onMain } = await repositories('release-on-main');
    git(clone, 'tag', '-a', 'v1.2.3', '-m', 'v1.2.3', onMain);
    git(clone, 'push', '-q', 'origin', 'refs/tags/v1.2.3');
    const run = await resolve(clone, 'v1.2.3');
    expect(run.stdout + run.stderr).not.toMatch(/::error::/);
    expect(run.exitCode).toBe(0);
    expect(run.outputs).toEqual({ commit: onMain, major: 'v1' });
  });

  it('refuses a release whose commit never reached main: nothing reviewed, nothing moved', async () => {
    const { clone, offMain } = await repositories('release-off-main');
    git(clone, 'tag', '-a', 'v1.2.4', '-m', 'v1.2.4', offMain);
    git(clone, 'push', '-q', 'origin', 'refs/tags/v1.2.4');
    git(clone, 'checkout', '-q', offMain);
    const run = await resolve(clone, 'v1.2.4');
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(new RegExp(`::error::v1\\.2\\.4 \\(${offMain}\\) is not on main`));
    expect(run.outputs['commit']).toBeUndefined();
  });

  it('refuses a tag that no longer names the commit the job checked (moved since the release was published)', async () => {
    const { clone, origin, onMain, offMain } = await repositories('release-moved');
    git(clone, 'tag', '-a', 'v1.2.5', '-m', 'v1.2.5', offMain);
    git(clone, 'push', '-q', 'origin', 'refs/tags/v1.2.5');
    // The job checked out the commit of the event; the tag now names another one.
    const run = await resolve(clone, 'v1.2.5');
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::v1\.2\.5 names .* but this job checked out/);
    expect(git(origin, 'rev-parse', 'refs/tags/v1.2.5^{commit}')).toBe(offMain);
    expect(onMain).not.toBe(offMain);
  });

  it('refuses a tag that is not vX.Y.Z before it touches git', async () => {
    const { clone } = await repositories('release-name');
    const run = await resolve(clone, 'v1.2.3;touch pwned');
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::release tag v1\.2\.3;touch pwned is not vX\.Y\.Z/);
    expect(existsSync(join(clone, 'pwned'))).toBe(false);
  });

  it('moves v1 to the commit the check resolved, even when the release tag was force-pushed in between', async () => {
    const { clone, origin, onMain, offMain } = await repositories('release-move');
    git(clone, 'tag', '-a', 'v1.2.3', '-m', 'v1.2.3', onMain);
    git(clone, 'push', '-q', 'origin', 'refs/tags/v1.2.3');
    // After the check: someone force-pushes the release tag to a commit no one reviewed.
    git(clone, 'tag', '-f', '-a', 'v1.2.3', '-m', 'moved', offMain);
    git(clone, 'push', '-q', '-f', 'origin', 'refs/tags/v1.2.3');
    const recorder = await recordingGit();
    const run = await runStep({
      workflow: '.github/workflows/release.yml',
      job: 'move-major-tag',
      step: 'Move the major tag',
      github: releaseEvent('v1.2.3'),
      needs: { 'check-dist': { result: 'success', outputs: { commit: onMain, major: 'v1' } } },
      env: runnerEnv({ PATH: recorder.path, GIT_LOG: recorder.log, REAL_GIT, EXPECTED_HEADER: `AUTHORIZATION: basic ${BASIC}` }),
      workspace: clone,
    });
    expect(run.stdout + run.stderr).not.toMatch(/::error::/);
    expect(run.exitCode).toBe(0);
    expect(git(origin, 'rev-parse', 'refs/tags/v1^{commit}')).toBe(onMain);

    // The token reached git through its environment, masked in its base64 form, and never on a command line.
    const log = await readFile(recorder.log, 'utf8');
    expect(log).toMatch(/^header: given to push$/m);
    expect(log).not.toMatch(/header: missing/);
    const commandLines = log.split('\n').filter((line) => line.startsWith('argv:'));
    expect(commandLines.filter((line) => line.includes(TOKEN) || line.includes(BASIC) || /extraheader/i.test(line))).toEqual([]);
    expect(run.stdout).toContain(`::add-mask::${BASIC}`);
  });

  it('refuses a commit output that is not a full commit id', async () => {
    const { clone, origin, onMain } = await repositories('release-commit-output');
    const run = await runStep({
      workflow: '.github/workflows/release.yml',
      job: 'move-major-tag',
      step: 'Move the major tag',
      github: releaseEvent('v1.2.3'),
      needs: { 'check-dist': { result: 'success', outputs: { commit: 'main', major: 'v1' } } },
      env: runnerEnv(),
      workspace: clone,
    });
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::/);
    expect(() => git(origin, 'rev-parse', '--verify', '-q', 'refs/tags/v1')).toThrow();
    expect(onMain).toMatch(/^[0-9a-f]{40}$/);
  });
});

const CUTOVER_INPUTS = {
  confirm: 'production',
  'client-id': '00000000-0000-0000-0000-000000000001',
  'tenant-id': '00000000-0000-0000-0000-000000000002',
  'subscription-id': '00000000-0000-0000-0000-000000000003',
  'development-subscription-id': '11111111-2222-3333-4444-555555555555',
  'development-vault': 'dev-secrets',
  'development-resource-group': 'seniorly-dev-rg',
  'production-vault': 'seniorly-prod-secrets',
};
const CALLER = { repository: 'example/voice-agent', server_url: 'https://github.com', token: TOKEN };

describe('cutover.yml', () => {
  it('records the cutover as an annotated tag that names its run, the token given to git through its environment only', async () => {
    const { clone, origin } = await repositories('cutover-record');
    const recorder = await recordingGit();
    const run = await runStep({
      workflow: '.github/workflows/cutover.yml',
      job: 'record',
      step: 'tag azure-hipaa/cutover/<environment> (cleanup.yml reads its date)',
      inputs: CUTOVER_INPUTS,
      github: CALLER,
      needs: { deploy: { result: 'success', outputs: { revision: 'voice-agent--c1' } } },
      env: runnerEnv({
        PATH: recorder.path,
        GIT_LOG: recorder.log,
        REAL_GIT,
        EXPECTED_HEADER: `AUTHORIZATION: basic ${BASIC}`,
        GITHUB_REPOSITORY: 'example/voice-agent',
        GITHUB_RUN_ID: '9000000001',
      }),
      workspace: clone,
    });
    expect(run.stdout + run.stderr).not.toMatch(/::error::/);
    expect(run.exitCode).toBe(0);
    const log = await readFile(recorder.log, 'utf8');
    expect(log).toMatch(/^header: given to ls-remote$/m);
    expect(log).toMatch(/^header: given to push$/m);
    expect(log).not.toMatch(/header: missing/);
    const commandLines = log.split('\n').filter((line) => line.startsWith('argv:'));
    expect(commandLines.filter((line) => line.includes(TOKEN) || line.includes(BASIC) || /extraheader/i.test(line))).toEqual([]);
    const tag = 'refs/tags/azure-hipaa/cutover/production';
    expect(git(origin, 'cat-file', '-t', tag)).toBe('tag');
    expect(git(origin, 'for-each-ref', tag, '--format=%(contents)')).toMatch(
      /^Run: https:\/\/github\.com\/example\/voice-agent\/actions\/runs\/9000000001$/m,
    );
    expect(run.stdout).toContain(`::add-mask::${BASIC}`);
  });

  const smoke = (timeout: string) =>
    runStep({
      workflow: '.github/workflows/cutover.yml',
      job: 'smoke',
      step: 'the production address answers its health check',
      inputs: { ...CUTOVER_INPUTS, 'smoke-timeout-seconds': timeout },
      github: CALLER,
      // Nothing listens on port 9 of the loopback: were the step to probe, it would fail at once.
      needs: { deploy: { result: 'success', outputs: { fqdn: '127.0.0.1:9' } } },
      env: runnerEnv(),
      workspace: scratch,
      timeoutMs: 20_000,
    });

  it('never evaluates smoke-timeout-seconds as code: a hostile value fails the step with a clear error, and no command runs', async () => {
    const marker = join(scratch, 'smoke-timeout-ran');
    const run = await smoke(`a[$(touch ${marker})]`);
    expect(existsSync(marker), 'the command in the value ran').toBe(false);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::smoke-timeout-seconds is 'a\[\$\(touch .*\)\]'; give a whole number of seconds from 1 to 3600/);
  });

  it.each(['0', '3601', '010', '1.5', '1e3', '-1', ''])('refuses smoke-timeout-seconds %j before any arithmetic', async (timeout) => {
    const run = await smoke(timeout);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::smoke-timeout-seconds is '.*'; give a whole number of seconds from 1 to 3600/);
    expect(run.stdout + run.stderr).not.toMatch(/did not answer|syntax error|value too great/);
  });
});

describe('cleanup.yml', () => {
  const DAY = 86_400;
  const now = () => Math.floor(Date.now() / 1000);
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

  /** A stand-in for `gh api`: answers from JSON files named after the path, filtered by --jq with jq, and writes down each path. */
  async function fakeGh(answers: Record<string, unknown>): Promise<{ path: string; log: string }> {
    const dir = await mkdtemp(join(scratch, 'gh-'));
    const bin = join(dir, 'bin');
    await mkdir(bin);
    const log = join(dir, 'gh.log');
    await writeFile(log, '');
    for (const [path, answer] of Object.entries(answers))
      await writeFile(join(dir, `${path.replaceAll('/', '_')}.json`), JSON.stringify(answer));
    await writeFile(
      join(bin, 'gh'),
      `#!/bin/bash
[ "$1" = api ] || exit 2
shift; path=""; filter="."
while [ $# -gt 0 ]; do case "$1" in --jq) filter="$2"; shift 2;; --paginate) shift;; *) path="$1"; shift;; esac; done
printf '%s\\n' "$path" >> "${log}"
file="${dir}/$(printf '%s' "\${path%%\\?*}" | tr '/' '_').json"
[ -f "$file" ] || { echo "gh: Not Found (HTTP 404)" >&2; exit 1; }
jq -r "$filter" "$file"
`,
    );
    await chmod(join(bin, 'gh'), 0o755);
    return { path: `${bin}:${process.env['PATH'] ?? ''}`, log };
  }

  /** The caller's checkout with the cutover tag as cutover.yml makes it; `taggedAt` is the tagger's clock, which anyone sets. */
  async function checkout(name: string, message: string, taggedAt: number): Promise<{ workspace: string; commit: string }> {
    const { clone, onMain } = await repositories(name);
    execFileSync(
      'git',
      ['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'tag', '-a', 'azure-hipaa/cutover/production', '-m', message],
      {
        cwd: clone,
        env: { ...process.env, GIT_COMMITTER_DATE: `@${taggedAt} +0000` },
      },
    );
    return { workspace: clone, commit: onMain };
  }

  const recordMessage = (runId: string) =>
    `Cutover to production: revision voice-agent--c1 serves; development x/seniorly-dev-rg left as the fallback\n\nRun: https://github.com/example/voice-agent/actions/runs/${runId}`;

  const cutoverRun = (commit: string, finishedAt: number, overrides: Record<string, unknown> = {}) => ({
    id: 4242,
    status: 'completed',
    conclusion: 'success',
    head_sha: commit,
    updated_at: iso(finishedAt),
    referenced_workflows: [
      { path: 'azure-hipaa/azure-hipaa-actions/.github/workflows/cutover.yml@v1', sha: 'a'.repeat(40), ref: 'refs/tags/v1' },
    ],
    ...overrides,
  });
  const NIGHTLY = 'repos/example/voice-agent/actions/workflows/nightly.yml/runs';
  const passingNightlies = { workflow_runs: [{ conclusion: 'success' }, { conclusion: 'success' }] };

  const check = (workspace: string, gh: { path: string }, inputs: Record<string, string> = {}) =>
    runStep({
      workflow: '.github/workflows/cleanup.yml',
      job: 'check',
      step: 'check',
      inputs: {
        confirm: 'seniorly-dev-rg',
        'development-resource-group': 'seniorly-dev-rg',
        'client-id': 'c',
        'tenant-id': 't',
        'development-subscription-id': 's',
        ...inputs,
      },
      github: CALLER,
      env: runnerEnv({ PATH: gh.path }),
      workspace,
    });

  it('deletes nothing before the run that recorded the cutover is min-days old, whatever date the tagger’s clock wrote', async () => {
    const finished = now() - 2 * DAY;
    const { workspace, commit } = await checkout('cleanup-forged-date', recordMessage('4242'), now() - 400 * DAY);
    const gh = await fakeGh({ 'repos/example/voice-agent/actions/runs/4242': cutoverRun(commit, finished), [NIGHTLY]: passingNightlies });
    const run = await check(workspace, gh);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::the cutover is 2 days old; cleanup waits 30/);
  });

  it('counts from the end of the recorded cutover run, and the nightly gates since then', async () => {
    const finished = now() - 40 * DAY;
    const { workspace, commit } = await checkout('cleanup-old-enough', recordMessage('4242'), now());
    const gh = await fakeGh({ 'repos/example/voice-agent/actions/runs/4242': cutoverRun(commit, finished), [NIGHTLY]: passingNightlies });
    const run = await check(workspace, gh);
    expect(run.stdout + run.stderr).not.toMatch(/::error::/);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toMatch(/The cutover is 40 days old and 2 nightly gates since then passed/);
    expect(await readFile(gh.log, 'utf8')).toContain(`${NIGHTLY}?event=schedule&created=>=${iso(finished)}&per_page=100`);
  });

  it.each([
    ['a run that did not succeed', { conclusion: 'failure' }, /::error::run 4242, which the cutover tag records, is completed\/failure/],
    ['a run on another commit', { head_sha: 'b'.repeat(40) }, /::error::run 4242 ran on b{40}, but the cutover tag names [0-9a-f]{40}/],
    [
      'a run that never called cutover.yml',
      { referenced_workflows: [] },
      /::error::run 4242, which the cutover tag records, did not call cutover\.yml/,
    ],
  ])('refuses a cutover tag that records %s', async (_what, overrides, error) => {
    const finished = now() - 40 * DAY;
    const { workspace, commit } = await checkout(`cleanup-run-${Object.keys(overrides)[0]}`, recordMessage('4242'), now() - 40 * DAY);
    const gh = await fakeGh({
      'repos/example/voice-agent/actions/runs/4242': cutoverRun(commit, finished, overrides),
      [NIGHTLY]: passingNightlies,
    });
    const run = await check(workspace, gh);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(error);
    expect(await readFile(gh.log, 'utf8')).not.toContain(NIGHTLY);
  });

  it('refuses a cutover tag that records no run (not made by cutover.yml), whatever its date', async () => {
    const { workspace } = await checkout('cleanup-no-run', 'Cutover to production', now() - 400 * DAY);
    const gh = await fakeGh({ [NIGHTLY]: passingNightlies });
    const run = await check(workspace, gh);
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::the cutover tag azure-hipaa\/cutover\/production records no cutover run/);
  });

  it.each(['1.5', '1e21', '31.5', '-1'])('refuses min-days %j before any arithmetic', async (minDays) => {
    const { workspace, commit } = await checkout(`cleanup-min-days-${minDays}`, recordMessage('4242'), now());
    const gh = await fakeGh({ 'repos/example/voice-agent/actions/runs/4242': cutoverRun(commit, now()), [NIGHTLY]: passingNightlies });
    const run = await check(workspace, gh, { 'min-days': minDays });
    expect(run.exitCode).not.toBe(0);
    expect(run.stdout).toMatch(/::error::min-days is '.*'; give a whole number of days, 30 or more/);
    expect(run.stdout + run.stderr).not.toMatch(/integer expression expected/);
    expect(await readFile(gh.log, 'utf8')).toBe('');
  });
});
