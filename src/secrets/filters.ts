import picomatch from 'picomatch';
import { ConfigurationError } from '../core/errors.js';

/** A checked glob over secret names; Key Vault names are case-insensitive, so matching is too. */
export interface NameFilter {
  pattern: string;
  matches(name: string): boolean;
}

/** Glob syntax picomatch understands, beyond the letters, digits and hyphens of a secret name. */
const GLOB_SYNTAX = new Set(['*', '?', '[', ']', '{', '}', ',', '!', '^', '(', ')', '|', '+', '@', '\\']);

/**
 * Compiles the globs of one list input. A pattern is rejected when it cannot parse, or when it
 * contains a character no secret name can have (secret names are letters, digits and hyphens),
 * because such a pattern silently matches nothing.
 */
export function compileNameFilters(patterns: readonly string[], inputName: string): NameFilter[] {
  return patterns.map((raw) => {
    const pattern = raw.trim();
    if (pattern === '') throw new ConfigurationError(`${inputName}: an empty pattern matches no secret; remove it.`);
    const stray = [...pattern].find((character) => !/[A-Za-z0-9-]/.test(character) && !GLOB_SYNTAX.has(character));
    if (stray !== undefined) {
      throw new ConfigurationError(
        `${inputName}: pattern '${pattern}' contains '${stray}', which no secret name can contain (names are letters, digits and hyphens), so it would match nothing.`,
      );
    }
    let matcher: (name: string) => boolean;
    try {
      matcher = picomatch(pattern, { nocase: true, strictBrackets: true, dot: true });
    } catch (error) {
      throw new ConfigurationError(
        `${inputName}: pattern '${pattern}' is not a valid glob: ${error instanceof Error ? error.message : String(error)}.`,
      );
    }
    return { pattern, matches: (name: string) => matcher(name) };
  });
}
