import { pushImage } from '../../../src/deploy/image.js';
import { runAction } from '../../shared/run.js';
import type { ActionIO } from '../../shared/runtime.js';
import { readDeployInputs } from './inputs.js';

/** The deploy-container action: build and push the image under the workflow's Entra identity, by digest. */
export async function run(io: ActionIO): Promise<void> {
  await runAction(io, async () => {
    const workspace = io.env['GITHUB_WORKSPACE'] ?? process.cwd();
    const inputs = readDeployInputs(io);
    const commit = io.env['GITHUB_SHA'];
    if (!commit)
      throw new Error('GITHUB_SHA is not set: deploy-container runs in a GitHub Actions job, which tags the image with the commit.');
    const pushed = await pushImage({
      cwd: workspace,
      ...inputs,
      commit,
      ...(io.env['GITHUB_SERVER_URL'] && io.env['GITHUB_REPOSITORY']
        ? { sourceUrl: `${io.env['GITHUB_SERVER_URL']}/${io.env['GITHUB_REPOSITORY']}` }
        : {}),
      tempDir: io.env['RUNNER_TEMP'] ?? workspace,
      env: io.env,
      logger: io.logger,
    });
    io.setOutput('image', pushed.image);
    io.setOutput('digest', pushed.digest);
    io.setOutput('tags', pushed.tags.join('\n'));
    await io.summary(
      [
        `## Image: \`${pushed.image}\``,
        '',
        pushed.tags.length > 0
          ? `Built and pushed as ${pushed.tags.map((tag) => `\`${tag}\``).join(', ')}.`
          : 'Given by reference; resolved to its digest.',
        '',
      ].join('\n'),
    );
  });
}
