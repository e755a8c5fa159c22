/**
 * The few GitHub REST calls `azure-hipaa github-runners` makes, at `api.github.com` as GitHub
 * answers them (shapes from GitHub's OpenAPI description, excerpted in reference/github-rest/): an
 * organization's hosted compute network configurations, runner groups (with their repository
 * access), GitHub-hosted runners with the machine sizes and GitHub-owned images they may use, and
 * one repository read. Tokens are bearer or `token` credentials with the permissions a test gives
 * them; errors are GitHub's `basic-error` bodies (`message`, `documentation_url`, `status`).
 */
import { randomBytes } from 'node:crypto';
import { reply, type Reply } from './http.js';

/** What a token may do, named after GitHub's fine-grained organization permissions. */
export interface GitHubTokenPermissions {
  /** "Network configurations": read and write the organization's hosted compute network configurations. */
  networkConfigurations?: boolean;
  /** "Self-hosted runners": runner groups and GitHub-hosted runners (classic: admin:org, manage_runners:org). */
  runners?: boolean;
}

export interface GitHubNetworkConfiguration {
  id: string;
  name: string;
  compute_service: 'none' | 'actions' | 'codespaces';
  network_settings_ids: string[];
  created_on: string;
}

export interface GitHubRunnerGroup {
  id: number;
  name: string;
  visibility: 'selected' | 'all' | 'private';
  default: boolean;
  inherited: boolean;
  allows_public_repositories: boolean;
  restricted_to_workflows: boolean;
  selected_workflows: string[];
  network_configuration_id: string | undefined;
  repositoryIds: number[];
}

export interface GitHubHostedRunner {
  id: number;
  name: string;
  runner_group_id: number;
  imageId: string;
  size: string;
  maximum_runners: number;
}

interface Repository {
  id: number;
  name: string;
  private: boolean;
}

export interface GitHubOrganization {
  login: string;
  id: number;
  /** Network configurations need GitHub Team or Enterprise Cloud. */
  plan: 'free' | 'team' | 'enterprise';
  repositories: Map<string, Repository>;
  /** GitHubId tags of the `GitHub.Network/networkSettings` resources made for this organization in Azure. */
  networkSettings: Set<string>;
  networkConfigurations: Map<string, GitHubNetworkConfiguration>;
  runnerGroups: Map<number, GitHubRunnerGroup>;
  hostedRunners: Map<number, GitHubHostedRunner>;
}

/** The sizes and images GitHub offered organizations when this was written (a subset). */
const MACHINE_SPECS = [
  { id: '2-core', cpu_cores: 2, memory_gb: 8, storage_gb: 75 },
  { id: '4-core', cpu_cores: 4, memory_gb: 16, storage_gb: 150 },
  { id: '8-core', cpu_cores: 8, memory_gb: 32, storage_gb: 300 },
  { id: '16-core', cpu_cores: 16, memory_gb: 64, storage_gb: 600 },
];
const IMAGES = [
  { id: 'ubuntu-24.04', platform: 'linux-x64', size_gb: 86, display_name: '24.04', source: 'github' as const },
  { id: 'ubuntu-22.04', platform: 'linux-x64', size_gb: 86, display_name: '22.04', source: 'github' as const },
  { id: 'windows-2022', platform: 'win-x64', size_gb: 256, display_name: '2022', source: 'github' as const },
];

const DOCS = 'https://docs.github.com/rest';
const API = 'https://api.github.com';
const NAME = /^[A-Za-z0-9._-]+$/;

/** One request as the sandbox saw it, for tests that count writes. */
export interface GitHubRequest {
  method: string;
  path: string;
}

export class GitHub {
  readonly organizations = new Map<string, GitHubOrganization>();
  readonly requests: GitHubRequest[] = [];
  private readonly tokens = new Map<string, GitHubTokenPermissions>();
  private nextId = 1000;

  /** An organization with one repository and the default runner group, as a test sets the scene. */
  createOrganization(login: string, repository: string, plan: GitHubOrganization['plan'] = 'team'): GitHubOrganization {
    const organization: GitHubOrganization = {
      login,
      id: this.nextId++,
      plan,
      repositories: new Map([[repository.toLowerCase(), { id: this.nextId++, name: repository, private: true }]]),
      networkSettings: new Set(),
      networkConfigurations: new Map(),
      runnerGroups: new Map([
        [
          1,
          {
            id: 1,
            name: 'Default',
            visibility: 'all',
            default: true,
            inherited: false,
            allows_public_repositories: false,
            restricted_to_workflows: false,
            selected_workflows: [],
            network_configuration_id: undefined,
            repositoryIds: [],
          },
        ],
      ]),
      hostedRunners: new Map(),
    };
    this.organizations.set(login.toLowerCase(), organization);
    return organization;
  }

  /** A token (a fine-grained personal access token's shape) with these permissions. */
  createToken(permissions: GitHubTokenPermissions): string {
    const token = `github_pat_${randomBytes(30).toString('base64url')}`;
    this.tokens.set(token, permissions);
    return token;
  }

  /** The writes (anything but GET) the sandbox received. */
  writes(): GitHubRequest[] {
    return this.requests.filter((request) => request.method !== 'GET');
  }

  handle(method: string, url: URL, body: string, authorization: string | undefined): Reply {
    this.requests.push({ method, path: url.pathname });
    const token = /^(?:token|bearer) (\S+)$/i.exec(authorization ?? '')?.[1];
    if (!token) return error(401, 'Requires authentication');
    const permissions = this.tokens.get(token);
    if (!permissions) return error(401, 'Bad credentials');
    let input: Record<string, unknown> = {};
    if (body) {
      try {
        input = JSON.parse(body) as Record<string, unknown>;
      } catch {
        return error(400, 'Problems parsing JSON');
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) return error(400, 'Body should be a JSON object');
    }
    const path = url.pathname.replace(/\/+$/, '');
    const repo = /^\/repos\/([^/]+)\/([^/]+)$/.exec(path);
    if (repo) {
      const organization = this.organizations.get(decodeURIComponent(repo[1] ?? '').toLowerCase());
      const repository = organization?.repositories.get(decodeURIComponent(repo[2] ?? '').toLowerCase());
      if (!organization || !repository) return error(404, 'Not Found', `${DOCS}/repos/repos#get-a-repository`);
      if (method !== 'GET') return error(404, 'Not Found');
      return reply(200, fullRepository(organization, repository));
    }
    const org = /^\/orgs\/([^/]+)(\/.*)$/.exec(path);
    const organization = org ? this.organizations.get(decodeURIComponent(org[1] ?? '').toLowerCase()) : undefined;
    if (!org || !organization) return error(404, 'Not Found');
    const rest = org[2] ?? '';
    const query = { page: url.searchParams.get('page'), perPage: url.searchParams.get('per_page') };

    if (rest.startsWith('/settings/network-configurations')) {
      if (!permissions.networkConfigurations) return forbidden('network_configurations=write');
      if (organization.plan === 'free')
        // The sandbox's own wording: GitHub offers network configurations on Team and Enterprise Cloud only.
        return error(
          403,
          'Hosted compute networking is not available for this organization: it needs the GitHub Team or Enterprise Cloud plan.',
        );
      return this.networkConfigurations(organization, method, rest, input, url, query);
    }
    if (rest.startsWith('/actions/runner-groups') || rest.startsWith('/actions/hosted-runners')) {
      if (!permissions.runners) return forbidden('organization_self_hosted_runners=write');
      return rest.startsWith('/actions/runner-groups')
        ? this.runnerGroups(organization, method, rest, input, url, query)
        : this.hostedRunners(organization, method, rest, input, url, query);
    }
    return error(404, 'Not Found');
  }

  private networkConfigurations(
    organization: GitHubOrganization,
    method: string,
    rest: string,
    input: Record<string, unknown>,
    url: URL,
    query: PageQuery,
  ): Reply {
    if (rest === '/settings/network-configurations') {
      if (method === 'GET')
        return page(url, query, 'network_configurations', [...organization.networkConfigurations.values()].map(networkView));
      if (method !== 'POST') return error(404, 'Not Found');
      const problem =
        nameProblem(input['name'], 100) ??
        enumProblem(input['compute_service'], ['none', 'actions'], 'compute_service') ??
        this.settingsProblem(organization, input['network_settings_ids'], true);
      if (problem) return validation(problem);
      const name = input['name'] as string;
      if ([...organization.networkConfigurations.values()].some((c) => c.name.toLowerCase() === name.toLowerCase()))
        return validation(`A network configuration named ${name} already exists.`);
      const configuration: GitHubNetworkConfiguration = {
        id: randomBytes(16).toString('hex').toUpperCase(),
        name,
        compute_service: (input['compute_service'] as 'none' | 'actions' | undefined) ?? 'none',
        network_settings_ids: [...(input['network_settings_ids'] as string[])],
        created_on: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
      organization.networkConfigurations.set(configuration.id, configuration);
      return reply(201, networkView(configuration));
    }
    const match = /^\/settings\/network-configurations\/([^/]+)$/.exec(rest);
    const configuration = match ? organization.networkConfigurations.get(decodeURIComponent(match[1] ?? '')) : undefined;
    if (!configuration) return error(404, 'Not Found');
    if (method === 'GET') return reply(200, networkView(configuration));
    if (method !== 'PATCH') return error(404, 'Not Found');
    const problem =
      (input['name'] !== undefined ? nameProblem(input['name'], 100) : undefined) ??
      enumProblem(input['compute_service'], ['none', 'actions'], 'compute_service') ??
      (input['network_settings_ids'] !== undefined ? this.settingsProblem(organization, input['network_settings_ids'], false) : undefined);
    if (problem) return validation(problem);
    if (typeof input['name'] === 'string') configuration.name = input['name'];
    if (typeof input['compute_service'] === 'string') configuration.compute_service = input['compute_service'] as 'none' | 'actions';
    if (Array.isArray(input['network_settings_ids'])) configuration.network_settings_ids = [...(input['network_settings_ids'] as string[])];
    return reply(200, networkView(configuration));
  }

  /** `network_settings_ids`: one id (POST; PATCH may empty it), each a networkSettings resource made for this organization. */
  private settingsProblem(organization: GitHubOrganization, ids: unknown, create: boolean): string | undefined {
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string') || ids.length > 1 || (create && ids.length !== 1))
      return 'network_settings_ids must list exactly one network settings resource id.';
    const unknown = (ids as string[]).find((id) => !organization.networkSettings.has(id));
    return unknown === undefined
      ? undefined
      : `Network settings resource ${unknown} was not found: create the GitHub.Network/networkSettings resource in Azure with this organization's databaseId.`;
  }

  private runnerGroups(
    organization: GitHubOrganization,
    method: string,
    rest: string,
    input: Record<string, unknown>,
    url: URL,
    query: PageQuery,
  ): Reply {
    if (rest === '/actions/runner-groups') {
      if (method === 'GET')
        return page(
          url,
          query,
          'runner_groups',
          [...organization.runnerGroups.values()].map((g) => groupView(organization, g)),
        );
      if (method !== 'POST') return error(404, 'Not Found');
      const problem = nameProblem(input['name'], 64) ?? this.groupProblem(organization, input);
      if (problem) return validation(problem);
      const name = input['name'] as string;
      if ([...organization.runnerGroups.values()].some((g) => g.name.toLowerCase() === name.toLowerCase()))
        return validation(`Name has already been taken: a runner group named ${name} exists.`);
      const group: GitHubRunnerGroup = {
        id: this.nextId++,
        name,
        visibility: (input['visibility'] as GitHubRunnerGroup['visibility'] | undefined) ?? 'all',
        default: false,
        inherited: false,
        allows_public_repositories: input['allows_public_repositories'] === true,
        restricted_to_workflows: input['restricted_to_workflows'] === true,
        selected_workflows: [...((input['selected_workflows'] as string[] | undefined) ?? [])],
        network_configuration_id: input['network_configuration_id'] as string | undefined,
        repositoryIds: [...((input['selected_repository_ids'] as number[] | undefined) ?? [])],
      };
      organization.runnerGroups.set(group.id, group);
      return reply(201, groupView(organization, group));
    }
    const match = /^\/actions\/runner-groups\/(\d+)(\/repositories)?$/.exec(rest);
    const group = match ? organization.runnerGroups.get(Number(match[1])) : undefined;
    if (!match || !group) return error(404, 'Not Found');
    if (match[2]) {
      if (method === 'GET') {
        const repositories = [...organization.repositories.values()].filter((r) => group.repositoryIds.includes(r.id));
        return page(
          url,
          query,
          'repositories',
          repositories.map((r) => minimalRepository(organization, r)),
        );
      }
      if (method !== 'PUT') return error(404, 'Not Found');
      const problem = repositoriesProblem(organization, input['selected_repository_ids'], true);
      if (problem) return validation(problem);
      if (group.visibility !== 'selected') return validation('The runner group visibility must be selected to choose its repositories.');
      group.repositoryIds = [...(input['selected_repository_ids'] as number[])];
      return reply(204);
    }
    if (method === 'GET') return reply(200, groupView(organization, group));
    if (method !== 'PATCH') return error(404, 'Not Found');
    const problem = nameProblem(input['name'], 64) ?? this.groupProblem(organization, input);
    if (problem) return validation(problem);
    if (group.default && input['name'] !== group.name) return validation('The default runner group cannot be renamed.');
    group.name = input['name'] as string;
    if (input['visibility'] !== undefined) group.visibility = input['visibility'] as GitHubRunnerGroup['visibility'];
    if (typeof input['allows_public_repositories'] === 'boolean') group.allows_public_repositories = input['allows_public_repositories'];
    if (typeof input['restricted_to_workflows'] === 'boolean') group.restricted_to_workflows = input['restricted_to_workflows'];
    if (Array.isArray(input['selected_workflows'])) group.selected_workflows = [...(input['selected_workflows'] as string[])];
    if (input['network_configuration_id'] !== undefined)
      group.network_configuration_id = (input['network_configuration_id'] as string | null) ?? undefined;
    return reply(200, groupView(organization, group));
  }

  private groupProblem(organization: GitHubOrganization, input: Record<string, unknown>): string | undefined {
    const visibility = enumProblem(input['visibility'], ['selected', 'all', 'private'], 'visibility');
    if (visibility) return visibility;
    for (const key of ['allows_public_repositories', 'restricted_to_workflows'])
      if (input[key] !== undefined && typeof input[key] !== 'boolean') return `${key} must be a boolean.`;
    const workflows = input['selected_workflows'];
    if (workflows !== undefined) {
      if (!Array.isArray(workflows) || workflows.some((w) => typeof w !== 'string'))
        return 'selected_workflows must be an array of strings.';
      // GitHub requires a ref, tag or long SHA on each: <owner>/<repo>/.github/workflows/<file>@<ref>.
      const wrong = (workflows as string[]).find((w) => !/^[^/\s]+\/[^/\s]+\/\.github\/workflows\/[^/@\s]+\.ya?ml@\S+$/.test(w));
      if (wrong !== undefined) return `selected_workflows: ${wrong} is not <owner>/<repo>/.github/workflows/<file>@<ref>.`;
    }
    const configuration = input['network_configuration_id'];
    if (configuration !== undefined && configuration !== null && !organization.networkConfigurations.has(String(configuration)))
      return `Network configuration ${String(configuration)} was not found.`;
    return input['selected_repository_ids'] === undefined
      ? undefined
      : repositoriesProblem(organization, input['selected_repository_ids'], false);
  }

  private hostedRunners(
    organization: GitHubOrganization,
    method: string,
    rest: string,
    input: Record<string, unknown>,
    url: URL,
    query: PageQuery,
  ): Reply {
    if (rest === '/actions/hosted-runners/machine-sizes' && method === 'GET') return page(url, query, 'machine_specs', MACHINE_SPECS);
    if (rest === '/actions/hosted-runners/images/github-owned' && method === 'GET') return page(url, query, 'images', IMAGES);
    if (rest === '/actions/hosted-runners') {
      if (method === 'GET') return page(url, query, 'runners', [...organization.hostedRunners.values()].map(runnerView));
      if (method !== 'POST') return error(404, 'Not Found');
      const image = input['image'] as Record<string, unknown> | undefined;
      const problem =
        nameProblem(input['name'], 64) ??
        (typeof image !== 'object' || image === null ? 'image is required: { id, source }.' : undefined) ??
        imageProblem(image?.['id'], image?.['source']) ??
        sizeProblem(input['size']) ??
        this.runnerGroupProblem(organization, input['runner_group_id'], true) ??
        maximumProblem(input['maximum_runners']);
      if (problem) return validation(problem);
      const name = input['name'] as string;
      if ([...organization.hostedRunners.values()].some((r) => r.name.toLowerCase() === name.toLowerCase()))
        return validation(`A runner named ${name} already exists.`);
      const runner: GitHubHostedRunner = {
        id: this.nextId++,
        name,
        runner_group_id: input['runner_group_id'] as number,
        imageId: image?.['id'] as string,
        size: input['size'] as string,
        maximum_runners: (input['maximum_runners'] as number | undefined) ?? 10,
      };
      organization.hostedRunners.set(runner.id, runner);
      return reply(201, runnerView(runner));
    }
    const match = /^\/actions\/hosted-runners\/(\d+)$/.exec(rest);
    const runner = match ? organization.hostedRunners.get(Number(match[1])) : undefined;
    if (!runner) return error(404, 'Not Found');
    if (method === 'GET') return reply(200, runnerView(runner));
    if (method !== 'PATCH') return error(404, 'Not Found');
    const problem =
      (input['name'] !== undefined ? nameProblem(input['name'], 64) : undefined) ??
      (input['image_id'] !== undefined ? imageProblem(input['image_id'], input['image_source'] ?? 'github') : undefined) ??
      (input['size'] !== undefined ? sizeProblem(input['size']) : undefined) ??
      this.runnerGroupProblem(organization, input['runner_group_id'], false) ??
      maximumProblem(input['maximum_runners']);
    if (problem) return validation(problem);
    if (typeof input['name'] === 'string') runner.name = input['name'];
    if (typeof input['image_id'] === 'string') runner.imageId = input['image_id'];
    if (typeof input['size'] === 'string') runner.size = input['size'];
    if (typeof input['runner_group_id'] === 'number') runner.runner_group_id = input['runner_group_id'];
    if (typeof input['maximum_runners'] === 'number') runner.maximum_runners = input['maximum_runners'];
    return reply(200, runnerView(runner));
  }

  private runnerGroupProblem(organization: GitHubOrganization, id: unknown, required: boolean): string | undefined {
    if (id === undefined) return required ? 'runner_group_id is required.' : undefined;
    return Number.isInteger(id) && organization.runnerGroups.has(id as number) ? undefined : `Runner group ${String(id)} was not found.`;
  }
}

interface PageQuery {
  page: string | null;
  perPage: string | null;
}

/** A list answer as GitHub pages it: `total_count` and one array, `per_page` (at most 100) and `page`, with a Link header to the next page. */
function page(url: URL, query: PageQuery, key: string, items: unknown[]): Reply {
  const perPage = Math.min(100, Math.max(1, Number(query.perPage ?? 30) || 30));
  const number = Math.max(1, Number(query.page ?? 1) || 1);
  const headers: Record<string, string> = {};
  if (number * perPage < items.length) {
    const next = new URL(`${API}${url.pathname}`);
    next.searchParams.set('per_page', String(perPage));
    next.searchParams.set('page', String(number + 1));
    headers['link'] = `<${next.href}>; rel="next"`;
  }
  return reply(200, { total_count: items.length, [key]: items.slice((number - 1) * perPage, number * perPage) }, headers);
}

function networkView(configuration: GitHubNetworkConfiguration): Record<string, unknown> {
  return { ...configuration, network_settings_ids: [...configuration.network_settings_ids] };
}

function groupView(organization: GitHubOrganization, group: GitHubRunnerGroup): Record<string, unknown> {
  const base = `${API}/orgs/${organization.login}/actions/runner-groups/${group.id}`;
  return {
    id: group.id,
    name: group.name,
    visibility: group.visibility,
    default: group.default,
    ...(group.visibility === 'selected' ? { selected_repositories_url: `${base}/repositories` } : {}),
    runners_url: `${base}/runners`,
    hosted_runners_url: `${base}/hosted-runners`,
    ...(group.network_configuration_id !== undefined ? { network_configuration_id: group.network_configuration_id } : {}),
    inherited: group.inherited,
    allows_public_repositories: group.allows_public_repositories,
    workflow_restrictions_read_only: false,
    restricted_to_workflows: group.restricted_to_workflows,
    selected_workflows: [...group.selected_workflows],
  };
}

function runnerView(runner: GitHubHostedRunner): Record<string, unknown> {
  const image = IMAGES.find((i) => i.id === runner.imageId);
  const spec = MACHINE_SPECS.find((s) => s.id === runner.size);
  return {
    id: runner.id,
    name: runner.name,
    runner_group_id: runner.runner_group_id,
    image_details: image
      ? { id: image.id, size_gb: image.size_gb, display_name: image.display_name, source: image.source, version: 'latest' }
      : null,
    machine_size_details: spec ? { ...spec } : { id: runner.size, cpu_cores: 0, memory_gb: 0, storage_gb: 0 },
    status: 'Ready',
    platform: image?.platform ?? 'linux-x64',
    maximum_runners: runner.maximum_runners,
    public_ip_enabled: false,
    public_ips: [],
    last_active_on: null,
  };
}

function owner(organization: GitHubOrganization): Record<string, unknown> {
  const user = `${API}/users/${organization.login}`;
  return {
    login: organization.login,
    id: organization.id,
    node_id: Buffer.from(`04:Organization${organization.id}`).toString('base64'),
    avatar_url: `https://avatars.githubusercontent.com/u/${organization.id}?v=4`,
    gravatar_id: '',
    url: user,
    html_url: `https://github.com/${organization.login}`,
    followers_url: `${user}/followers`,
    following_url: `${user}/following{/other_user}`,
    gists_url: `${user}/gists{/gist_id}`,
    starred_url: `${user}/starred{/owner}{/repo}`,
    subscriptions_url: `${user}/subscriptions`,
    organizations_url: `${user}/orgs`,
    repos_url: `${user}/repos`,
    events_url: `${user}/events{/privacy}`,
    received_events_url: `${user}/received_events`,
    type: 'Organization',
    user_view_type: 'public',
    site_admin: false,
  };
}

/** The properties minimal-repository and full-repository share, as GitHub fills them for a private repository. */
function repositoryBase(organization: GitHubOrganization, repository: Repository): Record<string, unknown> {
  const fullName = `${organization.login}/${repository.name}`;
  const api = `${API}/repos/${fullName}`;
  return {
    id: repository.id,
    node_id: Buffer.from(`010:Repository${repository.id}`).toString('base64'),
    name: repository.name,
    full_name: fullName,
    owner: owner(organization),
    private: repository.private,
    html_url: `https://github.com/${fullName}`,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://github.com/${fullName}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@github.com:${fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: `https://github.com/${fullName}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: `https://github.com/${fullName}`,
    homepage: null,
    language: 'Python',
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 108,
    default_branch: 'main',
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: false,
    has_pages: false,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repository.private ? 'private' : 'public',
    pushed_at: '2026-12-01T10:00:00Z',
    created_at: '2026-01-05T09:00:00Z',
    updated_at: '2026-12-01T10:00:00Z',
    forks: 0,
    open_issues: 0,
    watchers: 0,
    allow_forking: false,
    web_commit_signoff_required: false,
  };
}

function minimalRepository(organization: GitHubOrganization, repository: Repository): Record<string, unknown> {
  return { ...repositoryBase(organization, repository), license: null };
}

function fullRepository(organization: GitHubOrganization, repository: Repository): Record<string, unknown> {
  return {
    ...repositoryBase(organization, repository),
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
    allow_rebase_merge: true,
    allow_squash_merge: true,
    allow_auto_merge: false,
    delete_branch_on_merge: true,
    allow_merge_commit: false,
    allow_update_branch: true,
    temp_clone_token: null,
    subscribers_count: 1,
    network_count: 0,
    license: null,
    organization: owner(organization),
  };
}

function nameProblem(name: unknown, max: number): string | undefined {
  return typeof name === 'string' && name.length >= 1 && name.length <= max && NAME.test(name)
    ? undefined
    : `name must be 1 to ${max} characters of a-z, A-Z, 0-9, '.', '-' and '_'.`;
}

function enumProblem(value: unknown, allowed: readonly string[], field: string): string | undefined {
  return value === undefined || (typeof value === 'string' && allowed.includes(value))
    ? undefined
    : `${field} must be one of ${allowed.join(', ')}.`;
}

function imageProblem(id: unknown, source: unknown): string | undefined {
  if (source !== 'github') return 'image.source must be github for the GitHub-owned images the sandbox offers.';
  return IMAGES.some((image) => image.id === id) ? undefined : `Image ${String(id)} is not a GitHub-owned image.`;
}

function sizeProblem(size: unknown): string | undefined {
  return MACHINE_SPECS.some((spec) => spec.id === size) ? undefined : `Size ${String(size)} is not an available machine size.`;
}

function maximumProblem(maximum: unknown): string | undefined {
  return maximum === undefined || (Number.isInteger(maximum) && (maximum as number) >= 1)
    ? undefined
    : 'maximum_runners must be a positive integer.';
}

function repositoriesProblem(organization: GitHubOrganization, ids: unknown, required: boolean): string | undefined {
  if (ids === undefined) return required ? 'selected_repository_ids is required.' : undefined;
  if (!Array.isArray(ids) || ids.some((id) => !Number.isInteger(id))) return 'selected_repository_ids must be an array of integers.';
  const known = new Set([...organization.repositories.values()].map((r) => r.id));
  const unknown = (ids as number[]).find((id) => !known.has(id));
  return unknown === undefined ? undefined : `Repository ${unknown} is not in ${organization.login}.`;
}

function error(status: number, message: string, documentationUrl = DOCS, headers: Record<string, string> = {}): Reply {
  return reply(status, { message, documentation_url: documentationUrl, status: String(status) }, headers);
}

/** GitHub names the fine-grained permission a request needed in `X-Accepted-GitHub-Permissions`. */
function forbidden(permission: string): Reply {
  return error(403, 'Resource not accessible by personal access token', DOCS, { 'x-accepted-github-permissions': permission });
}

function validation(message: string): Reply {
  // validation-error-simple: message, documentation_url and errors (strings).
  return reply(422, { message: 'Validation Failed', documentation_url: DOCS, errors: [message] });
}
