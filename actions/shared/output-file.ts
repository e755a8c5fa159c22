import { ConfinedFileError, confinedPath, writeConfinedFile } from '../../src/core/confined-file.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { runnerContext } from './context.js';
import { inputName } from './inputs.js';
import type { ActionIO } from './runtime.js';

/**
 * A file an input names (`report-path`, `sarif-path`, `what-if-path`), relative to the workspace,
 * kept inside the workspace or RUNNER_TEMP: the two places a step's files belong. `check` refuses a
 * bad path before the action does anything; `write` writes it.
 */
export function outputFile(io: Pick<ActionIO, 'env'>, input: string, path: string) {
  const roots = runnerContext(io.env).fileRoots;
  const named = async <T>(step: Promise<T>): Promise<T> => {
    try {
      return await step;
    } catch (error) {
      if (error instanceof ConfinedFileError) throw new ConfigurationError(`${inputName(input)}: ${path} ${error.message}.`);
      throw error;
    }
  };
  return {
    check: () => named(confinedPath(path, roots)),
    write: (text: string) => named(writeConfinedFile(path, roots, text)),
  };
}
