// Installs every system package the tests and the demo need (sandbox/prerequisites.ts holds the
// list), when this process is root and has apt-get; otherwise prints the exact command and fails.
// `.ci/run` runs it; `npm test` and `npm run demo` do the same by themselves.
import { ensurePrerequisites, NEEDS } from '../sandbox/prerequisites.js';

const outcome = ensurePrerequisites(NEEDS.tests, (line) => console.log(line));
if (outcome.reason) {
  console.error(outcome.reason);
  process.exit(1);
}
console.log(`Every system package is installed: ${NEEDS.tests.join(', ')}.`);
