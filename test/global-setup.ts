/**
 * Before any test: the system packages this project's tests need, installed when missing and this
 * process is root with apt-get, saying what and why (sandbox/prerequisites.ts); otherwise the run
 * stops with the exact command. The unit project needs only what the in-process tests use.
 */
import type { TestProject } from 'vitest/node';
import { dockerdUnavailable } from '../sandbox/dockerd.js';
import { ensurePrerequisites, NEEDS } from '../sandbox/prerequisites.js';

export default function setup(project: TestProject): void {
  const unit = project.name === 'unit';
  const outcome = ensurePrerequisites(unit ? NEEDS.unitTests : NEEDS.tests, (line) => console.log(line));
  if (outcome.reason) throw new Error(`The ${project.name} tests cannot run here. ${outcome.reason}`);
  const noDaemon = unit ? undefined : dockerdUnavailable();
  if (noDaemon)
    throw new Error(
      `The image, rollout, workflow and demo tests start a docker daemon of their own, and cannot here: ${noDaemon}. Run \`sudo npm test\`, or \`npm run test:unit\` for the in-process tests.`,
    );
}
