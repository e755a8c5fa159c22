import * as core from '@actions/core';

/** Writes the action's one job summary. Every action goes through here so summaries look alike. */
export async function writeSummary(markdown: string): Promise<void> {
  if (!process.env['GITHUB_STEP_SUMMARY']) {
    core.debug('GITHUB_STEP_SUMMARY is not set; skipping the job summary');
    return;
  }
  await core.summary.addRaw(markdown, true).write();
}
