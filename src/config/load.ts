import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigurationError, type Problem } from '../core/errors.js';
import { parseLocatedDocument, readLocatedDocument, type LocatedDocument } from '../core/located-document.js';
import { closestMatch } from './closest-match.js';
import { EnvironmentConfigSchema, defaultConfig, type EnvironmentConfig } from './schema.js';
import type { JsonPath, SourceLocation } from '../core/json-path.js';

export const DEFAULT_CONFIG_FILE = 'azure-hipaa.yml';

export interface LoadedConfig {
  config: EnvironmentConfig;
  /** `'defaults'` when no file was read (none given and none at the default path), else the file as given. */
  source: string;
  /** Directory that paths in the config (`baa.file`, `waivers`) are relative to. */
  baseDir: string;
  /** Where a config path stands in the file; absent for the built-in defaults. */
  locate?: (path: JsonPath) => SourceLocation;
  /** The line of the key at a config path, when the file has it. */
  locateKey?: (path: JsonPath) => SourceLocation | undefined;
}

export interface LoadConfigOptions {
  /** Directory the path (and the default file) is resolved against; default `process.cwd()`. */
  cwd?: string;
}

/**
 * Reads the environment config. Without a path, `azure-hipaa.yml` in `cwd` is read when present,
 * else the built-in defaults are returned. An explicit path that does not exist, or a file with
 * any problem, is a ConfigurationError that lists every problem with its line.
 */
export async function loadConfig(path?: string, options: LoadConfigOptions = {}): Promise<LoadedConfig> {
  const cwd = options.cwd ?? process.cwd();
  const displayName = path ?? DEFAULT_CONFIG_FILE;
  const file = resolve(cwd, displayName);
  if (!(await isFile(file))) {
    if (path !== undefined) {
      throw new ConfigurationError(`Config file ${path} not found. Check the path, or leave it out to use the built-in defaults.`);
    }
    return { config: defaultConfig(), source: 'defaults', baseDir: cwd };
  }
  const document = await readLocatedDocument(file, displayName);
  return {
    config: parseConfigDocument(document),
    source: displayName,
    baseDir: dirname(file),
    locate: (at) => document.locate(at),
    locateKey: (at) => document.locateKey(at),
  };
}

/** Where a request's config comes from: loaded once at its edge and passed down, else its path. */
export interface ConfigSource {
  cwd: string;
  config?: string;
  /** The config as the caller's edge already loaded it: not read again. */
  loaded?: LoadedConfig;
}

/** A request's config: the one its edge loaded, else read now (a caller that reads it once passes it on). */
export async function configOf(request: ConfigSource): Promise<LoadedConfig> {
  return request.loaded ?? (await loadConfig(request.config, { cwd: request.cwd }));
}

/** Parses config text (YAML or JSON by the file name's extension); `file` names it in problems. */
export function parseConfigText(text: string, file: string): EnvironmentConfig {
  return parseConfigDocument(parseLocatedDocument(text, file));
}

function parseConfigDocument(document: LocatedDocument): EnvironmentConfig {
  // An empty file is an empty config: every default applies.
  const value = document.value ?? {};
  const result = EnvironmentConfigSchema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => problemsOf(issue, document, value));
  problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new ConfigurationError(
    `${document.file} has ${problems.length === 1 ? 'a problem' : `${problems.length} problems`}; fix ${problems.length === 1 ? 'it' : 'them'} and run again.`,
    problems,
  );
}

function problemsOf(issue: z.core.$ZodIssue, document: LocatedDocument, root: unknown): Problem[] {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const known = knownKeysAt(path);
    return issue.keys.map((key) => {
      const suggestion = closestMatch(key, known);
      const hint = suggestion ? `did you mean "${suggestion}"?` : known.length > 0 ? `expected one of: ${known.join(', ')}` : 'remove it';
      return problemAt(document, [...path, key], `unknown key "${key}"; ${hint}`);
    });
  }
  const missing = issue.code === 'invalid_type' && valueAt(root, path) === undefined;
  const message = missing ? `"${String(path.at(-1))}" is required here; add it` : issue.message;
  return [problemAt(document, path, message)];
}

function problemAt(document: LocatedDocument, path: JsonPath, message: string): Problem {
  const { file, line, column } = document.locate(path);
  const dotted = path.reduce<string>((text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key), '');
  return { where: `${file}:${line}${dotted ? ` ${dotted}` : ''}`, message, file, line, ...(column === undefined ? {} : { column }) };
}

function valueAt(root: unknown, path: JsonPath): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[key];
  }
  return node;
}

/** The keys the schema allows in the object at `path`, for "did you mean". */
function knownKeysAt(path: JsonPath): string[] {
  let schema: z.core.$ZodType | undefined = EnvironmentConfigSchema;
  for (const key of [...path, undefined]) {
    schema = unwrap(schema);
    if (key === undefined) break;
    if (schema instanceof z.ZodObject) schema = schema.shape[String(key)] as z.core.$ZodType | undefined;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.core.$ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.core.$ZodType;
    else return [];
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  while (current) {
    const def = current._zod.def as { innerType?: z.core.$ZodType; in?: z.core.$ZodType };
    const inner = def.innerType ?? def.in;
    if (!inner) return current;
    current = inner;
  }
  return current;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}
