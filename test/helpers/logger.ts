import type { Logger } from '../../src/core/logger.js';

/** A logger that records every line and every masked value. */
export function recordingLogger(): Logger & { lines: string[]; masked: Set<string> } {
  const lines: string[] = [];
  const masked = new Set<string>();
  return {
    lines,
    masked,
    debug: (message) => void lines.push(message),
    info: (message) => void lines.push(message),
    warning: (message) => void lines.push(message),
    error: (message) => void lines.push(message),
    group: (title, fn) => {
      lines.push(title);
      return fn();
    },
    mask: (value) => void masked.add(value),
  };
}
