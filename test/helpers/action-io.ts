import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ActionIO } from '../../actions/shared/runtime.js';
import type { AnnotationLocation, Logger } from '../../src/core/logger.js';
import { repoRoot } from './run-action.js';

/** Every input an action declares, with its default ('' when none), as the runner sets INPUT_* for each. */
export function actionInputDefaults(action: string): Record<string, string> {
  const metadata = parse(readFileSync(join(repoRoot, 'actions', action, 'action.yml'), 'utf8')) as {
    inputs?: Record<string, { default?: unknown }>;
  };
  // The runner evaluates a default's expression; the one ours use is the job's token.
  const evaluate = (value: string) => value.replace(/\$\{\{\s*github\.token\s*\}\}/g, JOB_TOKEN);
  return Object.fromEntries(
    Object.entries(metadata.inputs ?? {}).map(([name, input]) => [
      name,
      input.default === undefined ? '' : evaluate(String(input.default)),
    ]),
  );
}

/** What `${{ github.token }}` evaluates to in these tests. */
export const JOB_TOKEN = 'ghs_test-job-token';

export interface RecordedIO extends ActionIO {
  outputs: Record<string, string>;
  failed?: string;
  summaries: string[];
  /** Every log line, prefixed with its level (`error: ...`). */
  lines: string[];
  /** Every warning and error with where it points. */
  annotations: { level: 'warning' | 'error'; message: string; location?: AnnotationLocation }[];
}

/**
 * An ActionIO for fast in-process tests of an action's `run`: inputs as the runner gives them
 * (action.yml defaults, then the test's own values, trimmed as core.getInput trims), and every
 * output, failure, summary and log line recorded.
 */
export function recordedIO(action: string, inputs: Record<string, string> = {}, env: NodeJS.ProcessEnv = {}): RecordedIO {
  const given = { ...actionInputDefaults(action), ...inputs };
  const lines: string[] = [];
  const annotations: RecordedIO['annotations'] = [];
  const logger: Logger = {
    debug: () => {},
    info: (message) => void lines.push(message),
    warning: (message, location) => {
      lines.push(`warning: ${message}`);
      annotations.push({ level: 'warning', message, ...(location ? { location } : {}) });
    },
    error: (message, location) => {
      lines.push(`error: ${message}`);
      annotations.push({ level: 'error', message, ...(location ? { location } : {}) });
    },
    group: (_title, fn) => fn(),
    mask: () => {},
  };
  const io: RecordedIO = {
    outputs: {},
    summaries: [],
    lines,
    annotations,
    getInput: (name) => (given[name] ?? '').trim(),
    setOutput: (name, value) => void (io.outputs[name] = value),
    setFailed: (message) => void (io.failed = message),
    summary: async (markdown) => void io.summaries.push(markdown),
    logger,
    env: { GITHUB_WORKSPACE: repoRoot, ...env },
  };
  return io;
}
