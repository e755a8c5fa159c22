/**
 * What a pull request does to the bar it is judged by: the policy and waivers it loosens against
 * its base commit lead the report, a waiver may not run longer than the policy allows or waive
 * the BAA evidence, and files no code owner reviews are named. A real git repository each time.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGate } from '../../src/gate/gate.js';
import { repoRoot } from '../helpers/run-action.js';

let repo: string;
const git = (...args: string[]) =>
  execFileSync('git', ['-C', repo, ...args], {
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@example.com',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@example.com',
    },
  });
const now = new Date('2026-11-29T12:00:00Z');

beforeEach(async () => {
  repo = await mkdtemp(join(tmpdir(), 'policy-review-'));
  await mkdir(join(repo, 'compliance'));
  await writeFile(
    join(repo, 'compliance/azure-baa-sample.txt'),
    await readFile(join(repoRoot, 'examples/compliance/azure-baa-sample.txt')),
  );
  const example = await readFile(join(repoRoot, 'examples/azure-hipaa.yml'), 'utf8');
  await writeFile(join(repo, 'azure-hipaa.yml'), `${example}\nwaivers: compliance/waivers.yml\n`);
  await writeFile(join(repo, 'compliance/waivers.yml'), '[]\n');
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'base');
});
afterEach(async () => rm(repo, { recursive: true, force: true }));

const waiver = (fields: Record<string, string>) =>
  `- control: ${fields['control'] ?? 'keyvault.public-network'}\n  resource: "${fields['resource'] ?? 'seniorly-prod-secrets'}"\n  reason: private endpoint next quarter\n  approvedBy: ciso@example.com\n  expires: ${fields['expires'] ?? '2027-03-31'}\n`;

describe('a pull request that loosens its own gate', () => {
  it('shows first what it loosens against the base commit: blocking rules, retention, waivers', async () => {
    const base = git('rev-parse', 'HEAD').trim();
    const config = await readFile(join(repo, 'azure-hipaa.yml'), 'utf8');
    await writeFile(
      join(repo, 'azure-hipaa.yml'),
      config.replace('unknownBlocks: true', 'unknownBlocks: false').replace('minAuditRetentionDays: 2190', 'minAuditRetentionDays: 365'),
    );
    await writeFile(join(repo, 'compliance/waivers.yml'), waiver({}));
    const { report } = await runGate({ cwd: repo, baseRef: base, now });
    expect(report.notes).toEqual(
      expect.arrayContaining([
        `Loosened against ${base}: gate.unknownBlocks went from true to false (values that cannot be known no longer block).`,
        `Loosened against ${base}: gate.minAuditRetentionDays went down from 2190 to 365.`,
        expect.stringMatching(
          new RegExp(`^New waiver against ${base}: keyvault.public-network on seniorly-prod-secrets, until 2027-03-31`),
        ),
      ]),
    );
  });

  it('names a new or re-dated abuse-monitoring waiver, not one the base already had', async () => {
    const base = git('rev-parse', 'HEAD').trim();
    const unchanged = await runGate({ cwd: repo, baseRef: base, now });
    expect((unchanged.report.notes ?? []).filter((note) => /abuse-monitoring/.test(note))).toEqual([]);
    const config = await readFile(join(repo, 'azure-hipaa.yml'), 'utf8');
    await writeFile(join(repo, 'azure-hipaa.yml'), config.replace(/( {8}reviewedDate: )2026-11-01/, '$12026-11-20'));
    const { report } = await runGate({ cwd: repo, baseRef: base, now });
    expect(report.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          new RegExp(`^New abuse-monitoring waiver against ${base}: .*reviewed by security-officer@example.com on 2026-11-20\\)\\.$`),
        ),
      ]),
    );
  });

  it('says nothing is loosened when nothing is', async () => {
    const { report } = await runGate({ cwd: repo, baseRef: 'HEAD', now });
    expect((report.notes ?? []).filter((note) => /against HEAD/.test(note))).toEqual([]);
  });

  it('refuses a base ref that could be an option', async () => {
    await expect(runGate({ cwd: repo, baseRef: '--output=/tmp/x', now })).rejects.toThrowError(/is not a git ref name or commit/);
  });

  it('refuses a waiver that runs longer than the policy allows, and a waiver of the BAA evidence', async () => {
    await writeFile(
      join(repo, 'compliance/waivers.yml'),
      `${waiver({ resource: '*', expires: '9999-12-31' })}${waiver({ control: 'baa.evidence', resource: '*' })}`,
    );
    const { report } = await runGate({ cwd: repo, now });
    const invalid = report.findings.filter((f) => f.control === 'waiver.valid').map((f) => f.message);
    expect(invalid).toEqual([
      expect.stringMatching(/baa\.evidence cannot be waived/),
      expect.stringMatching(/runs to 9999-12-31, \d+ days away; the policy allows waivers of at most 365 days/),
    ]);
    expect(report.findings.filter((f) => f.status === 'waived')).toEqual([]);
    expect(report.verdict).toBe('fail');
    expect(report.notes).toContain(
      'The waiver of keyvault.public-network covers every resource ("*"), until 9999-12-31: check that is meant.',
    );
  });
});

describe('CODEOWNERS', () => {
  it('names the policy files no code owner reviews, and is quiet once an entry covers them', async () => {
    const bare = await runGate({ cwd: repo, now });
    expect(bare.report.notes).toEqual([expect.stringMatching(/^No CODEOWNERS entry covers azure-hipaa\.yml and compliance\/waivers\.yml/)]);
    await mkdir(join(repo, '.github'));
    await writeFile(join(repo, '.github/CODEOWNERS'), '/azure-hipaa.yml @org/security\n');
    const partly = await runGate({ cwd: repo, now });
    expect(partly.report.notes).toEqual([expect.stringMatching(/^No CODEOWNERS entry covers compliance\/waivers\.yml:/)]);
    await writeFile(join(repo, '.github/CODEOWNERS'), '/azure-hipaa.yml @org/security\ncompliance/ @org/security\n');
    expect((await runGate({ cwd: repo, now })).report.notes).toBeUndefined();
  });
});
