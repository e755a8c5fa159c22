/**
 * The runner's context an action reads from its environment, in one place: where the workspace and
 * the step's temporary directory are, and which run, repository and commit this is.
 */
export interface RunnerContext {
  /** GITHUB_WORKSPACE: the checkout; the current directory outside a runner. */
  workspace: string;
  /** RUNNER_TEMP: the step's temporary directory, emptied after the job; the workspace when unset. */
  runnerTemp: string;
  /** The roots a step's files may be written under: the workspace, and RUNNER_TEMP when set. */
  fileRoots: string[];
  /** GITHUB_REPOSITORY: `owner/name`. */
  repository?: string;
  /** GITHUB_SHA: the commit the run is for. */
  commit?: string;
  /** The repository's page (GITHUB_SERVER_URL/GITHUB_REPOSITORY), when both are known. */
  repositoryUrl?: string;
  /** This run's page (…/actions/runs/GITHUB_RUN_ID), when the repository and the run are known. */
  runUrl?: string;
  /** GITHUB_API_URL, for GitHub Enterprise Server; github.com's API when absent. */
  apiUrl?: string;
}

export function runnerContext(env: NodeJS.ProcessEnv): RunnerContext {
  const workspace = env['GITHUB_WORKSPACE'] || process.cwd();
  const temp = env['RUNNER_TEMP'] || undefined;
  const repository = env['GITHUB_REPOSITORY'] || undefined;
  const runId = env['GITHUB_RUN_ID'] || undefined;
  const serverUrl = env['GITHUB_SERVER_URL'];
  // The run's page is on github.com unless the runner names its server; the repository's only when it does.
  const runUrl = repository && runId ? `${serverUrl || 'https://github.com'}/${repository}/actions/runs/${runId}` : undefined;
  return {
    workspace,
    runnerTemp: temp ?? workspace,
    fileRoots: [workspace, ...(temp ? [temp] : [])],
    ...(repository ? { repository } : {}),
    ...(env['GITHUB_SHA'] ? { commit: env['GITHUB_SHA'] } : {}),
    ...(serverUrl && repository ? { repositoryUrl: `${serverUrl}/${repository}` } : {}),
    ...(runUrl ? { runUrl } : {}),
    ...(env['GITHUB_API_URL'] ? { apiUrl: env['GITHUB_API_URL'] } : {}),
  };
}
