/**
 * GitHub-hosted runners inside the environment's virtual network (Azure private networking), the
 * GitHub side: the organization's hosted compute network configuration naming the Azure
 * `GitHub.Network/networkSettings` resource (its GitHubId), a runner group restricted to one
 * repository and to its deploy and cutover workflows on one ref, and a larger runner in that
 * group. Each is read first and created, updated or left as it is: a second run writes nothing.
 */
import { ConfigurationError } from '../core/errors.js';
import type { Octokit } from './octokit.js';

export interface RunnerSetupRequest {
  org: string;
  /** `owner/name`; the owner must be `org`. */
  repository: string;
  /** The GitHubId tag of the `GitHub.Network/networkSettings` resource (provision's github-network-settings-id). */
  networkSettingsId: string;
  /** The network configuration's, the runner group's and the runner's name. */
  name: string;
  /** Workflow files in `.github/workflows/` of the repository whose jobs may use the group: the callers. */
  workflows: readonly string[];
  /** The ref those workflows must run from, e.g. `refs/heads/main`. */
  ref: string;
  /** A machine size id from `GET /orgs/{org}/actions/hosted-runners/machine-sizes`, e.g. `2-core`. */
  size: string;
  /** A GitHub-owned image id from `GET /orgs/{org}/actions/hosted-runners/images/github-owned`. */
  image: string;
  maximumRunners: number;
  dryRun: boolean;
}

export type Change = 'created' | 'updated' | 'unchanged' | 'would create' | 'would update';

export interface StepResult {
  change: Change;
  /** What was different, for an update. */
  differences: string[];
  /** GitHub's id (undefined for a dry run's would-be creation). */
  id: string | undefined;
}

export interface RunnerSetupResult {
  networkConfiguration: StepResult;
  runnerGroup: StepResult & { repositoryAccess: Change };
  runner: StepResult;
  selectedWorkflows: string[];
}

const GITHUB_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPOSITORY_NAME = /^[A-Za-z0-9._-]{1,100}$/;
const RESOURCE_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const WORKFLOW_FILE = /^[A-Za-z0-9._-]+\.ya?ml$/;
const REF = /^refs\/(heads|tags)\/[A-Za-z0-9._/-]+$|^[0-9a-f]{40}$/;

/** Checks every input before anything is read from GitHub; returns the workflow paths the group will allow. */
export function checkRunnerSetup(request: RunnerSetupRequest): string[] {
  if (!GITHUB_NAME.test(request.org))
    throw new ConfigurationError(`--org must be a GitHub organization login; got ${JSON.stringify(request.org)}.`);
  const [owner = '', repo = '', extra] = request.repository.split('/');
  if (extra !== undefined || !GITHUB_NAME.test(owner) || !REPOSITORY_NAME.test(repo) || repo === '.' || repo === '..')
    throw new ConfigurationError(`--repo must be owner/name; got ${JSON.stringify(request.repository)}.`);
  if (owner.toLowerCase() !== request.org.toLowerCase())
    throw new ConfigurationError(
      `--repo ${request.repository} is not in the organization ${request.org}: an organization's runner group can only serve its own repositories.`,
    );
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(request.networkSettingsId))
    throw new ConfigurationError(
      `--network-settings-id must be the GitHubId tag of the GitHub.Network/networkSettings resource (provision's github-network-settings-id output); got ${JSON.stringify(request.networkSettingsId)}.`,
    );
  if (!RESOURCE_NAME.test(request.name))
    throw new ConfigurationError(
      `--name must be 1 to 64 characters of letters, digits, '.', '-' and '_'; got ${JSON.stringify(request.name)}.`,
    );
  if (request.workflows.length === 0)
    throw new ConfigurationError('--workflows must name at least one workflow file, e.g. azure-hipaa-deploy.yml,azure-hipaa-cutover.yml.');
  if (!REF.test(request.ref) || request.ref.includes('..'))
    throw new ConfigurationError(
      `--ref must be refs/heads/<branch>, refs/tags/<tag> or a full commit SHA; got ${JSON.stringify(request.ref)}.`,
    );
  if (!/^[A-Za-z0-9._-]{1,40}$/.test(request.size))
    throw new ConfigurationError(`--size must be a machine size id like 2-core; got ${JSON.stringify(request.size)}.`);
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(request.image))
    throw new ConfigurationError(`--image must be an image id like ubuntu-24.04; got ${JSON.stringify(request.image)}.`);
  if (!Number.isInteger(request.maximumRunners) || request.maximumRunners < 1 || request.maximumRunners > 1000)
    throw new ConfigurationError(`--max-runners must be a whole number from 1 to 1000; got ${request.maximumRunners}.`);
  return [...new Set(request.workflows.map((workflow) => workflowPath(workflow, request.org, `${owner}/${repo}`, request.ref)))];
}

/**
 * A `selected_workflows` entry: a file name in the repository's .github/workflows at `ref`, or a full
 * `<org>/<repo>/.github/workflows/<file>@<ref>` (a reusable workflow's own path: GitHub admits only
 * jobs defined in a listed file, and an organization's group only lists its own organization's files).
 */
function workflowPath(workflow: string, org: string, repository: string, ref: string): string {
  if (WORKFLOW_FILE.test(workflow)) return `${repository}/.github/workflows/${workflow}@${ref}`;
  const full = /^([A-Za-z0-9-]+)\/([A-Za-z0-9._-]+)\/\.github\/workflows\/([A-Za-z0-9._-]+\.ya?ml)@(.+)$/.exec(workflow);
  if (!full || !REF.test(full[4] ?? '') || (full[4] ?? '').includes('..'))
    throw new ConfigurationError(
      `--workflows takes file names in .github/workflows/ (main.yml) or full paths <org>/<repo>/.github/workflows/<file>@<ref> with ref refs/heads/<branch>, refs/tags/<tag> or a full SHA; got ${JSON.stringify(workflow)}.`,
    );
  if ((full[1] ?? '').toLowerCase() !== org.toLowerCase())
    throw new ConfigurationError(
      `--workflows ${workflow} is in another organization: an organization's runner group can only admit its own organization's workflows (copy the reusable workflow into ${org}, or use an enterprise runner group).`,
    );
  return workflow;
}

/** Where a request went wrong, and the permission that step needs, for GitHub's 401/403/404 answers. */
interface Step {
  what: string;
  needs: string;
}

const STEPS = {
  repository: {
    what: 'read the repository',
    needs: 'read access to the repository (fine-grained: Metadata: read; classic: repo for a private repository)',
  },
  network: {
    what: "read or write the organization's hosted compute network configurations",
    needs:
      'an organization owner\'s token with the organization permission "Network configurations: write" (classic: admin:org, or read:network_configurations and write:network_configurations); network configurations also need the GitHub Team or GitHub Enterprise Cloud plan',
  },
  runners: {
    what: "read or write the organization's runner groups and GitHub-hosted runners",
    needs:
      'an organization owner\'s token with the organization permissions "Self-hosted runners: write" and "Administration: write" (classic: admin:org and manage_runners:org)',
  },
} satisfies Record<string, Step>;

/** Runs one GitHub call; 401, 403 and 404 become a ConfigurationError that names what the token is missing. */
async function call<T>(step: Step, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (typeof status !== 'number') throw error;
    const data = (error as { response?: { data?: unknown; headers?: Record<string, string | undefined> } }).response;
    // Octokit reports a request that got no answer (DNS, TLS, a reset) as status 500 without a response.
    if (!data)
      // Octokit's errors carry the request with its Authorization header redacted.
      throw new Error(`GitHub could not be reached to ${step.what}: ${(error as Error).message}`, { cause: error });
    const message =
      typeof (data?.data as { message?: unknown } | undefined)?.message === 'string' ? (data?.data as { message: string }).message : '';
    const accepted = data?.headers?.['x-accepted-github-permissions'];
    const quoted = message ? ` (${JSON.stringify(message)})` : '';
    if (status === 401)
      throw new ConfigurationError(
        `GitHub refused the token${quoted}: it is missing, expired or revoked. Pass a valid token in GITHUB_TOKEN (or the variable --token-env names).`,
      );
    if (status === 403 || status === 404)
      throw new ConfigurationError(
        `GitHub answered ${status}${quoted} to ${step.what}: the token needs ${step.needs}${accepted ? ` (GitHub asked for: ${accepted})` : ''}.${status === 404 ? ' GitHub answers 404 when the token may not see the resource, or when --org or --repo is misspelled.' : ''}`,
      );
    if (status === 422) {
      const errors = (data?.data as { errors?: unknown } | undefined)?.errors;
      throw new Error(
        `GitHub refused to ${step.what} (422${quoted}${Array.isArray(errors) ? `: ${errors.map((e) => JSON.stringify(e)).join('; ')}` : ''}).`,
        { cause: error },
      );
    }
    throw new Error(`GitHub answered ${status}${quoted} to ${step.what}.`, { cause: error });
  }
}

function sameSet(a: readonly string[] | undefined, b: readonly string[]): boolean {
  const left = new Set(a ?? []);
  return left.size === new Set(b).size && b.every((item) => left.has(item));
}

/** Creates or updates the network configuration, the runner group and the runner; with dryRun, only reads. */
export async function setUpRunners(octokit: Octokit, request: RunnerSetupRequest): Promise<RunnerSetupResult> {
  const selectedWorkflows = checkRunnerSetup(request);
  const { org } = request;
  const [owner = '', repo = ''] = request.repository.split('/');

  // Everything read and checked before anything is written: a wrong size or image changes nothing.
  const repository = await call(STEPS.repository, () => octokit.request('GET /repos/{owner}/{repo}', { owner, repo }));
  const repositoryId = Number(repository.data.id);
  const sizes = await call(STEPS.runners, () => octokit.request('GET /orgs/{org}/actions/hosted-runners/machine-sizes', { org }));
  if (!sizes.data.machine_specs.some((spec) => spec.id === request.size))
    throw new ConfigurationError(
      `--size ${request.size} is not a machine size GitHub offers ${org}; choose one of: ${sizes.data.machine_specs.map((spec) => spec.id).join(', ')}.`,
    );
  const images = await call(STEPS.runners, () => octokit.request('GET /orgs/{org}/actions/hosted-runners/images/github-owned', { org }));
  if (!images.data.images.some((image) => image.id === request.image))
    throw new ConfigurationError(
      `--image ${request.image} is not a GitHub-owned image for ${org}; choose one of: ${images.data.images.map((image) => image.id).join(', ')}.`,
    );

  const networkConfiguration = await ensureNetworkConfiguration(octokit, request);
  const runnerGroup = await ensureRunnerGroup(octokit, request, repositoryId, selectedWorkflows, networkConfiguration.id);
  const runner = await ensureRunner(octokit, request, runnerGroup.id);
  return { networkConfiguration, runnerGroup, runner, selectedWorkflows };
}

async function ensureNetworkConfiguration(
  octokit: Octokit,
  { org, name, dryRun, networkSettingsId }: RunnerSetupRequest,
): Promise<StepResult> {
  const all = await call(STEPS.network, () => octokit.paginate('GET /orgs/{org}/settings/network-configurations', { org, per_page: 100 }));
  const existing = all.find((configuration) => configuration.name.toLowerCase() === name.toLowerCase());
  if (!existing) {
    if (dryRun) return { change: 'would create', differences: [], id: undefined };
    const created = await call(STEPS.network, () =>
      octokit.request('POST /orgs/{org}/settings/network-configurations', {
        org,
        name,
        compute_service: 'actions',
        network_settings_ids: [networkSettingsId],
      }),
    );
    return { change: 'created', differences: [], id: created.data.id };
  }
  const differences = [
    ...(existing.compute_service !== 'actions' ? [`compute_service ${existing.compute_service ?? 'none'} -> actions`] : []),
    ...(!sameSet(existing.network_settings_ids, [networkSettingsId])
      ? [`network_settings_ids ${(existing.network_settings_ids ?? []).join(',') || 'none'} -> ${networkSettingsId}`]
      : []),
  ];
  if (differences.length === 0) return { change: 'unchanged', differences, id: existing.id };
  if (dryRun) return { change: 'would update', differences, id: existing.id };
  await call(STEPS.network, () =>
    octokit.request('PATCH /orgs/{org}/settings/network-configurations/{network_configuration_id}', {
      org,
      network_configuration_id: existing.id,
      compute_service: 'actions',
      network_settings_ids: [networkSettingsId],
    }),
  );
  return { change: 'updated', differences, id: existing.id };
}

async function ensureRunnerGroup(
  octokit: Octokit,
  { org, name, dryRun }: RunnerSetupRequest,
  repositoryId: number,
  selectedWorkflows: string[],
  networkConfigurationId: string | undefined,
): Promise<StepResult & { repositoryAccess: Change }> {
  const groups = await call(STEPS.runners, () => octokit.paginate('GET /orgs/{org}/actions/runner-groups', { org, per_page: 100 }));
  const existing = groups.find((group) => group.name.toLowerCase() === name.toLowerCase());
  const wanted = {
    visibility: 'selected' as const,
    allows_public_repositories: false,
    restricted_to_workflows: true,
    selected_workflows: selectedWorkflows,
  };
  if (!existing) {
    if (dryRun) return { change: 'would create', differences: [], id: undefined, repositoryAccess: 'would create' };
    const created = await call(STEPS.runners, () =>
      octokit.request('POST /orgs/{org}/actions/runner-groups', {
        org,
        name,
        ...wanted,
        selected_repository_ids: [repositoryId],
        ...(networkConfigurationId !== undefined ? { network_configuration_id: networkConfigurationId } : {}),
      }),
    );
    return { change: 'created', differences: [], id: String(created.data.id), repositoryAccess: 'created' };
  }
  // The default group and one inherited from the enterprise serve more than this repository: never narrow them.
  if (existing.default || existing.inherited)
    throw new ConfigurationError(
      `The runner group ${existing.name} is ${existing.default ? "the organization's default group" : 'inherited from the enterprise'}: pass another --name.`,
    );
  const differences = [
    ...(existing.visibility !== 'selected' ? [`visibility ${existing.visibility} -> selected`] : []),
    ...(existing.allows_public_repositories ? ['allows_public_repositories true -> false'] : []),
    ...(existing.restricted_to_workflows !== true ? ['restricted_to_workflows false -> true'] : []),
    ...(!sameSet(existing.selected_workflows, selectedWorkflows)
      ? [`selected_workflows ${(existing.selected_workflows ?? []).join(',') || 'none'} -> ${selectedWorkflows.join(',')}`]
      : []),
    // A dry run that would create the network configuration has no id to compare with yet.
    ...(networkConfigurationId !== undefined && existing.network_configuration_id !== networkConfigurationId
      ? [`network_configuration_id ${existing.network_configuration_id ?? 'none'} -> ${networkConfigurationId}`]
      : networkConfigurationId === undefined
        ? ['network_configuration_id -> the new network configuration']
        : []),
  ];
  if (
    differences.some((d) => d.startsWith('restricted_to_workflows') || d.startsWith('selected_workflows')) &&
    existing.workflow_restrictions_read_only
  )
    throw new ConfigurationError(
      `The runner group ${existing.name}'s workflow restrictions are read-only (set by the enterprise): pass another --name.`,
    );
  let change: Change = 'unchanged';
  if (differences.length > 0) {
    change = dryRun ? 'would update' : 'updated';
    if (!dryRun)
      await call(STEPS.runners, () =>
        octokit.request('PATCH /orgs/{org}/actions/runner-groups/{runner_group_id}', {
          org,
          runner_group_id: existing.id,
          name: existing.name,
          ...wanted,
          ...(networkConfigurationId !== undefined ? { network_configuration_id: networkConfigurationId } : {}),
        }),
      );
  }
  // Repository access: exactly this repository. A group that was not `selected` has no list yet.
  const current =
    existing.visibility === 'selected'
      ? (
          await call(STEPS.runners, () =>
            octokit.paginate('GET /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories', {
              org,
              runner_group_id: existing.id,
              per_page: 100,
            }),
          )
        ).map((repository) => Number(repository.id))
      : [];
  let repositoryAccess: Change = 'unchanged';
  if (current.length !== 1 || current[0] !== repositoryId) {
    repositoryAccess = dryRun ? 'would update' : 'updated';
    differences.push(`repositories ${current.join(',') || 'none'} -> ${repositoryId}`);
    if (!dryRun)
      await call(STEPS.runners, () =>
        octokit.request('PUT /orgs/{org}/actions/runner-groups/{runner_group_id}/repositories', {
          org,
          runner_group_id: existing.id,
          selected_repository_ids: [repositoryId],
        }),
      );
    if (change === 'unchanged') change = repositoryAccess;
  }
  return { change, differences, id: String(existing.id), repositoryAccess };
}

async function ensureRunner(octokit: Octokit, request: RunnerSetupRequest, runnerGroupId: string | undefined): Promise<StepResult> {
  const { org, name, dryRun, size, image, maximumRunners } = request;
  const runners = await call(STEPS.runners, () => octokit.paginate('GET /orgs/{org}/actions/hosted-runners', { org, per_page: 100 }));
  const existing = runners.find((runner) => runner.name.toLowerCase() === name.toLowerCase());
  const groupId = runnerGroupId === undefined ? undefined : Number(runnerGroupId);
  if (!existing) {
    if (dryRun || groupId === undefined) return { change: 'would create', differences: [], id: undefined };
    const created = await call(STEPS.runners, () =>
      octokit.request('POST /orgs/{org}/actions/hosted-runners', {
        org,
        name,
        image: { id: image, source: 'github' },
        size,
        runner_group_id: groupId,
        maximum_runners: maximumRunners,
      }),
    );
    return { change: 'created', differences: [], id: String(created.data.id) };
  }
  const update: { runner_group_id?: number; size?: string; image_id?: string; image_source?: 'github'; maximum_runners?: number } = {};
  const differences: string[] = [];
  if (groupId === undefined) differences.push('runner_group_id -> the new runner group');
  else if (existing.runner_group_id !== groupId) {
    differences.push(`runner_group_id ${existing.runner_group_id ?? 'none'} -> ${groupId}`);
    update.runner_group_id = groupId;
  }
  if (existing.machine_size_details.id !== size) {
    differences.push(`size ${existing.machine_size_details.id} -> ${size}`);
    update.size = size;
  }
  if (existing.image_details?.id !== image || existing.image_details.source !== 'github') {
    differences.push(`image ${existing.image_details?.id ?? 'none'} -> ${image}`);
    update.image_id = image;
    update.image_source = 'github';
  }
  if (existing.maximum_runners !== maximumRunners) {
    differences.push(`maximum_runners ${existing.maximum_runners ?? 'default'} -> ${maximumRunners}`);
    update.maximum_runners = maximumRunners;
  }
  if (differences.length === 0) return { change: 'unchanged', differences, id: String(existing.id) };
  if (dryRun || groupId === undefined) return { change: 'would update', differences, id: String(existing.id) };
  await call(STEPS.runners, () =>
    octokit.request('PATCH /orgs/{org}/actions/hosted-runners/{hosted_runner_id}', { org, hosted_runner_id: existing.id, ...update }),
  );
  return { change: 'updated', differences, id: String(existing.id) };
}
