import { ConfigurationError, errorMessage } from '../../src/core/errors.js';
import type { ActionIO } from './runtime.js';

/**
 * Runs an action's body and turns anything it throws, `Error` or not, into a failed step.
 * A ConfigurationError lists each problem as an annotation at its file and line.
 */
export async function runAction(io: ActionIO, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof ConfigurationError) {
      for (const problem of error.problems) {
        io.logger.error(`${problem.where}: ${problem.message}`, {
          title: 'Invalid input',
          ...(problem.file ? { file: problem.file } : {}),
          ...(problem.line ? { line: problem.line } : {}),
        });
      }
    }
    io.setFailed(errorMessage(error));
  }
}

/** What a cancelled step says: the runner shows it as the step's failure. */
export const CANCELLED = 'The workflow run was cancelled.';

/**
 * Work a core cannot stop, given up when the job is cancelled: the step fails saying so at once, and
 * the work is left to end on its own (runEntry ends the process).
 */
export async function untilCancelled<T>(work: Promise<T>, cancellation: AbortSignal | undefined): Promise<T> {
  if (!cancellation) return work;
  // Given up on, the work may still fail later: that says nothing more.
  work.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const cancelled = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(new Error(CANCELLED));
    if (cancellation.aborted) onAbort();
    else cancellation.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work, cancelled]);
  } finally {
    if (onAbort) cancellation.removeEventListener('abort', onAbort);
  }
}
