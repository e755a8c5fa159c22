/** Azure refuses an app name and revision suffix longer than 54 characters together; an app name may have 32. */
const MAX_SUFFIX = 54 - 32;

/**
 * A revision suffix unique to this commit, run and attempt: the run id, not the run number, which each
 * workflow counts on its own (a cutover and a push deploying one commit would collide). It starts with a
 * letter, and the run id is written in base 36 so the suffix stays short.
 */
export function revisionSuffix(commit: string | undefined, env: NodeJS.ProcessEnv): string {
  const run = Number.parseInt(env['GITHUB_RUN_ID'] ?? '0', 10);
  const tail = `-${Number.isSafeInteger(run) ? run.toString(36) : '0'}-${env['GITHUB_RUN_ATTEMPT'] ?? '1'}`;
  // 22 characters at most; a run id far beyond today's shortens the commit, never the run.
  return `c${(commit ?? 'local').slice(0, 7)}`
    .slice(0, Math.max(2, MAX_SUFFIX - tail.length))
    .concat(tail)
    .toLowerCase();
}
