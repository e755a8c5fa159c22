// A vitest reporter that prints nothing: it appends each test file's and test's start and end to the
// file named by VITEST_PROGRESS_FILE, so scripts/test.mjs can say what was still running when a run
// outlives its bound, and tell a run whose every file has ended but whose vitest does not exit.
import { appendFileSync } from 'node:fs';
import { relative } from 'node:path';

export default class ProgressReporter {
  #file = process.env['VITEST_PROGRESS_FILE'];

  #write(event, module, name = '', state = undefined) {
    if (!this.#file) return;
    const line = { at: Date.now(), event, project: module.project.name, file: relative(process.cwd(), module.moduleId), name, state };
    appendFileSync(this.#file, `${JSON.stringify(line)}\n`);
  }

  onTestRunStart(specifications) {
    if (this.#file) appendFileSync(this.#file, `${JSON.stringify({ at: Date.now(), event: 'run-start', files: specifications.length })}\n`);
  }

  onTestModuleStart(module) {
    this.#write('file-start', module);
  }

  onTestModuleEnd(module) {
    this.#write('file-end', module, '', module.state());
  }

  onTestCaseReady(test) {
    this.#write('test-start', test.module, test.fullName);
  }

  onTestCaseResult(test) {
    this.#write('test-end', test.module, test.fullName, test.result().state);
  }
}
