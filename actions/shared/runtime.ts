/** actions/shared is the only code that talks to the runner: IO, typed inputs, and the error-to-failed-step wrapper. */
import * as core from '@actions/core';
import { maskPieces } from '../../src/core/masking.js';
import { fenceWorkflowCommands } from '../../src/core/workflow-commands.js';
import type { AnnotationLocation, Logger } from '../../src/core/logger.js';

/**
 * Everything an action's `run` takes from the runner. `runnerIO()` speaks the runner's workflow
 * commands through @actions/core; fast tests pass their own to reach every branch in-process.
 */
export interface ActionIO {
  /** The raw input, as `core.getInput` gives it (the runner sets `INPUT_*`, defaults included). */
  getInput(name: string): string;
  setOutput(name: string, value: string): void;
  setFailed(message: string): void;
  /** Writes the action's one job summary. */
  summary(markdown: string): Promise<void>;
  logger: Logger;
  env: NodeJS.ProcessEnv;
}

function annotation(location?: AnnotationLocation): core.AnnotationProperties | undefined {
  if (!location) return undefined;
  return {
    ...(location.title ? { title: location.title } : {}),
    ...(location.file ? { file: location.file } : {}),
    ...(location.line ? { startLine: location.line } : {}),
    ...(location.column ? { startColumn: location.column } : {}),
  };
}

/** The core's Logger, spoken through the runner's workflow commands. */
export function actionLogger(): Logger {
  // Each piece is registered once per job step, however often the value is read.
  const registered = new Set<string>();
  return {
    debug: (message) => core.debug(message),
    // Log lines carry names and values from templates and Azure; annotations need no fence (@actions/core escapes their data).
    info: (message) => core.info(fenceWorkflowCommands(message)),
    warning: (message, location) => core.warning(message, annotation(location)),
    error: (message, location) => core.error(message, annotation(location)),
    group: (title, fn) => core.group(title, fn),
    mask: (secretValue) => {
      for (const piece of maskPieces(secretValue)) {
        if (registered.has(piece)) continue;
        registered.add(piece);
        core.setSecret(piece);
      }
    },
  };
}

/** The runner's own IO: what each action's two-line entry passes to `run`. */
export function runnerIO(): ActionIO {
  return {
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setFailed: (message) => core.setFailed(message),
    summary: async (markdown) => {
      if (!process.env['GITHUB_STEP_SUMMARY']) return core.debug('GITHUB_STEP_SUMMARY is not set; skipping the job summary');
      await core.summary.addRaw(markdown, true).write();
    },
    logger: actionLogger(),
    env: process.env,
  };
}
