import { parseArgs } from 'node:util';
import { ConfigurationError } from '../../core/errors.js';
import { githubClient } from '../../github/octokit.js';
import { setUpRunners, type RunnerSetupResult, type StepResult } from '../../github/runners.js';
import type { Command } from '../command.js';

const usage = `Usage: azure-hipaa github-runners --org <org> --repo <org>/<name> --network-settings-id <GitHubId> [options]

Puts GitHub-hosted runners inside the environment's virtual network (Azure private networking), on
the GitHub side, idempotently: the organization's hosted compute network configuration naming the
GitHub.Network/networkSettings resource that provision made (its GitHubId tag, provision's
github-network-settings-id output), a runner group that only --repo and --workflows may use, and a
larger runner in that group. Each step says whether it created, updated or left things unchanged;
a second run changes nothing. Jobs then use it with runs-on: { group: <name> }.

Needs: GitHub Team or GitHub Enterprise Cloud; an organization owner's token in GITHUB_TOKEN (or
--token-env) with "Network configurations: write", "Self-hosted runners: write" and "Administration:
write" on the organization (classic: admin:org and manage_runners:org). The token is never printed.
GITHUB_API_URL sets the API (default https://api.github.com).

Which workflows: GitHub matches the group's list against the workflow file a job is DEFINED in, at
the listed ref ("Only jobs directly defined within the selected workflows will have access to the
runner group"), and an organization's group cannot list another organization's workflows. Jobs of a
reusable workflow (workflow_call) therefore need the reusable workflow itself listed; listing only
its caller does not admit them. --workflows takes file names in --repo's .github/workflows/ or full
paths <org>/<repo>/.github/workflows/<file>@<ref> in the same organization.

Options:
  --org <org>                  the GitHub organization
  --repo <org>/<name>          the only repository that may use the runner group
  --network-settings-id <id>   the GitHubId of the GitHub.Network/networkSettings resource
  --name <name>                the network configuration's, runner group's and runner's name (default azure-hipaa)
  --workflows <list>           comma-separated workflows that may use the group (default azure-hipaa-deploy.yml,azure-hipaa-cutover.yml:
                               your copies of the reusable deploy.yml and cutover.yml, see above)
  --ref <ref>                  the ref the workflows must run from (default refs/heads/main)
  --size <id>                  the machine size (default 2-core; the organization's sizes are checked)
  --image <id>                 the GitHub-owned image (default ubuntu-24.04; the organization's images are checked)
  --max-runners <n>            the most runners at once, a cost limit (default 2)
  --token-env <NAME>           the environment variable holding the token (default GITHUB_TOKEN)
  --dry-run                    read and print what would change; write nothing
  --format <text|json>         output format (default text)

Exit status: 0 done (or nothing to do), 1 GitHub failed, 2 bad input or missing access.`;

export const githubRunnersCommand: Command = {
  name: 'github-runners',
  summary: "GitHub-hosted runners inside the environment's network: network configuration, runner group, runner",
  usage,
  async run({ args, stdout, logger, env }) {
    let values;
    try {
      values = parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          org: { type: 'string' },
          repo: { type: 'string' },
          'network-settings-id': { type: 'string' },
          name: { type: 'string', default: 'azure-hipaa' },
          workflows: { type: 'string', default: 'azure-hipaa-deploy.yml,azure-hipaa-cutover.yml' },
          ref: { type: 'string', default: 'refs/heads/main' },
          size: { type: 'string', default: '2-core' },
          image: { type: 'string', default: 'ubuntu-24.04' },
          'max-runners': { type: 'string', default: '2' },
          'token-env': { type: 'string', default: 'GITHUB_TOKEN' },
          'dry-run': { type: 'boolean', default: false },
          format: { type: 'string', default: 'text' },
        },
      }).values;
    } catch (error) {
      throw new ConfigurationError(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    }
    for (const required of ['org', 'repo', 'network-settings-id'] as const)
      if (!values[required]) throw new ConfigurationError(`--${required} is required.\n\n${usage}`);
    if (values.format !== 'text' && values.format !== 'json')
      throw new ConfigurationError(`--format must be text or json; got ${JSON.stringify(values.format)}.`);
    const tokenEnv = values['token-env'];
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv))
      throw new ConfigurationError(`--token-env must name an environment variable; got ${JSON.stringify(tokenEnv)}.`);
    const token = env[tokenEnv]?.trim();
    if (!token)
      throw new ConfigurationError(
        `${tokenEnv} is empty: set it to an organization owner's token (Network configurations, Self-hosted runners and Administration: write; classic: admin:org and manage_runners:org).`,
      );
    logger.mask(token);
    const maximumRunners = /^\d{1,4}$/.test(values['max-runners']) ? Number(values['max-runners']) : Number.NaN;
    const octokit = await githubClient(token, env);
    const result = await setUpRunners(octokit, {
      org: values.org as string,
      repository: values.repo as string,
      networkSettingsId: values['network-settings-id'] as string,
      name: values.name,
      workflows: values.workflows
        .split(',')
        .map((file) => file.trim())
        .filter(Boolean),
      ref: values.ref,
      size: values.size,
      image: values.image,
      maximumRunners,
      dryRun: values['dry-run'],
    });
    if (values.format === 'json') {
      stdout(`${JSON.stringify({ dryRun: values['dry-run'], ...result })}\n`);
      return 0;
    }
    stdout(report(result, values.name, values['dry-run'], values.repo as string, values.size, values.image, maximumRunners));
    return 0;
  },
};

function line(what: string, step: StepResult, detail: string): string {
  const differences = step.differences.length > 0 ? `\n    ${step.differences.join('\n    ')}` : '';
  return `${what}: ${step.change}${step.id !== undefined ? ` (id ${step.id})` : ''}; ${detail}${differences}`;
}

function report(
  result: RunnerSetupResult,
  name: string,
  dryRun: boolean,
  repository: string,
  size: string,
  image: string,
  maximumRunners: number,
): string {
  return [
    ...(dryRun ? ['Dry run: nothing was written.'] : []),
    line(`network configuration ${name}`, result.networkConfiguration, 'compute service actions'),
    line(
      `runner group ${name}`,
      result.runnerGroup,
      `repository ${repository} only (access ${result.runnerGroup.repositoryAccess}); workflows ${result.selectedWorkflows.join(', ')}`,
    ),
    line(`hosted runner ${name}`, result.runner, `${size}, ${image}, at most ${maximumRunners} at once`),
    `Jobs defined in those workflows use it with: runs-on: { group: ${name} }`,
    '',
  ].join('\n');
}
