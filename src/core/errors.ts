/**
 * Error taxonomy. A ConfigurationError is the user's to fix: its message names the input and
 * what to change, and the CLI exits 2 on it. Anything else is a failure with context (exit 1).
 */
export interface Problem {
  /** Where the problem is, e.g. `azure-hipaa.yml:12 keyVault.softDeleteRetentionInDays`. */
  where: string;
  /** What is wrong and what to change. */
  message: string;
  file?: string;
  line?: number;
  column?: number;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
  readonly problems: readonly Problem[];

  constructor(summary: string, problems: readonly Problem[] = []) {
    super(problems.length === 0 ? summary : `${summary}\n${problems.map((p) => `  - ${p.where}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}

/** The message of any thrown value, `Error` or not. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  try {
    return JSON.stringify(error) ?? String(error);
  } catch {
    return String(error);
  }
}
