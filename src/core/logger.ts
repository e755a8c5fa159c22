/**
 * What the core may say. The actions implement it with @actions/core, the CLI with the console;
 * the core never imports @actions/core.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string, location?: AnnotationLocation): void;
  error(message: string, location?: AnnotationLocation): void;
  /** Runs `fn` inside a collapsible log group. */
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
  /** Registers a secret value so nothing prints it afterwards. Call before anything else touches it. */
  mask(secretValue: string): void;
}

export interface AnnotationLocation {
  file?: string;
  line?: number;
  column?: number;
  title?: string;
}

/** A logger that drops everything: for pure callers and benchmarks. */
export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warning: () => {},
  error: () => {},
  group: (_title, fn) => fn(),
  mask: () => {},
};
