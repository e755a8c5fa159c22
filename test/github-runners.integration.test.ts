/** `azure-hipaa github-runners` against the sandbox's api.github.com, through Octokit and the sandbox's HTTPS client. */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/index.js';
import type { GitHubOrganization } from '../sandbox/github.js';
import { runCli } from '../src/cli/run.js';
import { silentLogger } from '../src/core/logger.js';

let sandbox: Sandbox;
let organization: GitHubOrganization;
let token: string;
const SETTINGS = 'A1B2C3D4E5F60718293A4B5C6D7E8F90A1B';
const OTHER_SETTINGS = 'F0E1D2C3B4A5968778695A4B3C2D1E0F9A8';

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0 });
});
afterAll(async () => sandbox?.stop());

beforeEach(() => {
  // A fresh organization per test: each starts from nothing on the GitHub side.
  const login = `seniorly-${Math.random().toString(36).slice(2, 8)}`;
  organization = sandbox.server.github.createOrganization(login, 'voice-agent');
  organization.networkSettings.add(SETTINGS);
  organization.networkSettings.add(OTHER_SETTINGS);
  token = sandbox.server.github.createToken({ networkConfigurations: true, runners: true });
  sandbox.server.github.requests.length = 0;
});

async function cli(args: string[], tokenValue = token, extraEnv: Record<string, string> = {}) {
  let out = '';
  const masked: string[] = [];
  const code = await runCli(['github-runners', ...args], {
    stdout: (text) => void (out += text),
    stderr: (text) => void (out += text),
    logger: { ...silentLogger, mask: (value) => void masked.push(value) },
    env: { ...process.env, ...sandbox.env, GITHUB_TOKEN: tokenValue, ...extraEnv },
  });
  return { code, out, masked };
}

const base = (settings = SETTINGS) => [
  '--org',
  organization.login,
  '--repo',
  `${organization.login}/voice-agent`,
  '--network-settings-id',
  settings,
];

describe('github-runners', () => {
  it('first run creates the network configuration, a runner group restricted to the repository and its workflows, and the runner', async () => {
    const { code, out } = await cli(base());
    expect(out).toContain(`network configuration azure-hipaa: created`);
    expect(out).toContain('runner group azure-hipaa: created');
    expect(out).toContain('hosted runner azure-hipaa: created');
    expect(out).toContain('runs-on: { group: azure-hipaa }');
    expect(code).toBe(0);

    const [configuration] = [...organization.networkConfigurations.values()];
    expect(configuration).toMatchObject({ name: 'azure-hipaa', compute_service: 'actions', network_settings_ids: [SETTINGS] });
    const group = [...organization.runnerGroups.values()].find((g) => g.name === 'azure-hipaa');
    const repository = organization.repositories.get('voice-agent');
    expect(group).toMatchObject({
      visibility: 'selected',
      allows_public_repositories: false,
      restricted_to_workflows: true,
      selected_workflows: [
        `${organization.login}/voice-agent/.github/workflows/azure-hipaa-deploy.yml@refs/heads/main`,
        `${organization.login}/voice-agent/.github/workflows/azure-hipaa-cutover.yml@refs/heads/main`,
      ],
      network_configuration_id: configuration?.id,
      repositoryIds: [repository?.id],
    });
    const [runner] = [...organization.hostedRunners.values()];
    expect(runner).toMatchObject({
      name: 'azure-hipaa',
      runner_group_id: group?.id,
      size: '2-core',
      imageId: 'ubuntu-24.04',
      maximum_runners: 2,
    });
  });

  it('a second run changes nothing: no POST, PATCH or PUT, and says so', async () => {
    expect((await cli(base())).code).toBe(0);
    sandbox.server.github.requests.length = 0;
    const second = await cli(base());
    expect(second.code).toBe(0);
    expect(sandbox.server.github.writes()).toEqual([]);
    expect(second.out).toContain('network configuration azure-hipaa: unchanged');
    expect(second.out).toContain('runner group azure-hipaa: unchanged');
    expect(second.out).toContain('hosted runner azure-hipaa: unchanged');
  });

  it('a changed network settings id updates the configuration (one PATCH) and nothing else', async () => {
    expect((await cli(base())).code).toBe(0);
    sandbox.server.github.requests.length = 0;
    const changed = await cli(base(OTHER_SETTINGS));
    expect(changed.code).toBe(0);
    expect(changed.out).toContain('network configuration azure-hipaa: updated');
    expect(changed.out).toContain(`network_settings_ids ${SETTINGS} -> ${OTHER_SETTINGS}`);
    expect(sandbox.server.github.writes()).toEqual([
      { method: 'PATCH', path: expect.stringMatching(/^\/orgs\/[^/]+\/settings\/network-configurations\/[0-9A-F]+$/) as unknown as string },
    ]);
    expect([...organization.networkConfigurations.values()][0]?.network_settings_ids).toEqual([OTHER_SETTINGS]);
  });

  it('a group someone widened is narrowed back to the repository and the workflows', async () => {
    expect((await cli(base())).code).toBe(0);
    const group = [...organization.runnerGroups.values()].find((g) => g.name === 'azure-hipaa');
    if (!group) throw new Error('no group');
    group.selected_workflows = [];
    group.restricted_to_workflows = false;
    group.repositoryIds = [];
    const again = await cli(base());
    expect(again.code).toBe(0);
    expect(again.out).toContain('runner group azure-hipaa: updated');
    expect(group.restricted_to_workflows).toBe(true);
    expect(group.selected_workflows).toHaveLength(2);
    expect(group.repositoryIds).toEqual([organization.repositories.get('voice-agent')?.id]);
  });

  it('a token without the permission ends in a message naming it (exit 2), and nothing is written', async () => {
    const weak = sandbox.server.github.createToken({ runners: true });
    const { code, out } = await cli(base(), weak);
    expect(code).toBe(2);
    expect(out).toMatch(/GitHub answered 403 .*network configurations: the token needs .*"Network configurations: write"/);
    expect(out).toContain('GitHub Team or GitHub Enterprise Cloud');
    expect(out).toContain('network_configurations=write');
    expect(sandbox.server.github.writes()).toEqual([]);

    const bad = await cli(base(), 'github_pat_not-a-real-token');
    expect(bad.code).toBe(2);
    expect(bad.out).toContain('GitHub refused the token');
  });

  it('--dry-run reads and prints what would change, and writes nothing', async () => {
    const { code, out } = await cli([...base(), '--dry-run']);
    expect(code).toBe(0);
    expect(out).toContain('Dry run: nothing was written.');
    expect(out).toContain('network configuration azure-hipaa: would create');
    expect(out).toContain('runner group azure-hipaa: would create');
    expect(out).toContain('hosted runner azure-hipaa: would create');
    expect(sandbox.server.github.writes()).toEqual([]);
    expect(organization.networkConfigurations.size).toBe(0);
  });

  it('a size or image the organization does not offer is refused before anything is written', async () => {
    const size = await cli([...base(), '--size', '3-core']);
    expect(size.code).toBe(2);
    expect(size.out).toContain('--size 3-core is not a machine size GitHub offers');
    expect(size.out).toContain('2-core, 4-core');
    const image = await cli([...base(), '--image', 'ubuntu-18.04']);
    expect(image.code).toBe(2);
    expect(image.out).toContain('--image ubuntu-18.04 is not a GitHub-owned image');
    expect(sandbox.server.github.writes()).toEqual([]);
  });

  it('refuses a workflow of another organization (an organization group cannot admit it)', async () => {
    const { code, out } = await cli([
      ...base(),
      '--workflows',
      'azure-hipaa/azure-hipaa-actions/.github/workflows/deploy.yml@refs/tags/v1',
    ]);
    expect(code).toBe(2);
    expect(out).toContain('is in another organization');
    const same = await cli([...base(), '--workflows', `${organization.login}/shared-workflows/.github/workflows/deploy.yml@refs/tags/v1`]);
    expect(same.code).toBe(0);
    expect([...organization.runnerGroups.values()].find((g) => g.name === 'azure-hipaa')?.selected_workflows).toEqual([
      `${organization.login}/shared-workflows/.github/workflows/deploy.yml@refs/tags/v1`,
    ]);
  });

  it('never prints the token, and registers it as a secret before use', async () => {
    const runs = [await cli(base()), await cli(base()), await cli([...base(), '--dry-run']), await cli([...base(), '--format', 'json'])];
    const weak = sandbox.server.github.createToken({});
    runs.push(await cli(base(), weak));
    for (const run of runs) {
      expect(run.out).not.toContain(run === runs[4] ? weak : token);
      expect(run.masked).toContain(run === runs[4] ? weak : token);
    }
  });
});
