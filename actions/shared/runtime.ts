/** actions/shared is the only code that talks to the runner: IO, typed inputs, and the error-to-failed-step wrapper. */
import * as core from '@actions/core';
import type { ArmPort } from '../../src/azure/arm-port.js';
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

/**
 * What an action's `run` reaches besides the runner, under one name in every action (each action's
 * `Ports` extends it): the entry passes the runner's cancellation, tests pass their own of each.
 */
export interface ActionPorts {
  /** The job's cancellation: the runner's SIGINT or SIGTERM (the entry's), or a test's. */
  cancellation?: AbortSignal;
}

/** Azure Resource Manager in a subscription; by default the SDK with DefaultAzureCredential (after azure/login). */
export type ArmFactory = (subscriptionId: string) => ArmPort | Promise<ArmPort>;

/** The ARM port a run uses: the one its ports give, else the SDK's, loaded only when Azure is called. */
export async function armFor(ports: { arm?: ArmFactory }, env: NodeJS.ProcessEnv, subscriptionId: string): Promise<ArmPort> {
  if (ports.arm) return ports.arm(subscriptionId);
  return (await import('../../src/azure/arm.js')).armPort(env, subscriptionId);
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

/** The runner's own IO: the one place the logger and the environment an action runs with are made. */
export function runnerIO(): ActionIO {
  const env = process.env;
  return {
    getInput: (name) => core.getInput(name),
    setOutput: (name, value) => core.setOutput(name, value),
    setFailed: (message) => core.setFailed(message),
    summary: async (markdown) => {
      if (!env['GITHUB_STEP_SUMMARY']) return core.debug('GITHUB_STEP_SUMMARY is not set; skipping the job summary');
      await core.summary.addRaw(markdown, true).write();
    },
    logger: actionLogger(),
    env,
  };
}

/** The signals the runner sends a cancelled job's step: SIGINT, then SIGTERM if it has not ended. */
const CANCEL_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Each action's two-line entry: its `run` with the runner's IO and the runner's SIGINT and SIGTERM
 * turned into the cancellation. A cancelled run has failed saying so when `run` returns; the process
 * then ends, leaving any request a core could not stop.
 */
export async function runEntry(run: (io: ActionIO, ports: ActionPorts) => Promise<void>): Promise<void> {
  const cancel = new AbortController();
  // The signal's name is the reason: a running docker command is passed the same signal.
  const onSignal = (signal: NodeJS.Signals) => cancel.abort(signal);
  for (const signal of CANCEL_SIGNALS) process.on(signal, onSignal);
  await run(runnerIO(), { cancellation: cancel.signal });
  if (cancel.signal.aborted) process.exit();
}
