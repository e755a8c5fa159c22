import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument, isCollection, isNode, type Document, type Node } from 'yaml';
import { ConfigurationError, errorMessage, type Problem } from './errors.js';
import type { JsonPath, SourceLocation } from './json-path.js';

/**
 * A parsed JSON or YAML file that can say where any value stands in it. Locations are computed
 * lazily: judging a large template never pays for them unless a report asks.
 */
export interface LocatedDocument {
  file: string;
  value: unknown;
  /** The line of the value at `path`; for a missing path, of its deepest present ancestor. */
  locate(path: JsonPath): SourceLocation;
}

export async function readLocatedDocument(file: string, displayName = file): Promise<LocatedDocument> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigurationError(`Cannot read ${displayName}: ${errorMessage(error)}. Check the path.`);
  }
  return parseLocatedDocument(text, displayName);
}

export function parseLocatedDocument(text: string, file: string): LocatedDocument {
  const isJson = file.toLowerCase().endsWith('.json');
  const value = isJson ? parseJson(text, file) : parseYaml(text, file).document.toJS({ maxAliasCount: 100 });
  let located: { document: Document; lines: LineCounter } | undefined;
  return {
    file,
    value,
    locate(path) {
      located ??= parseYaml(text, file);
      return { file, ...nodePosition(located.document, located.lines, path) };
    },
  };
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (error) {
    const message = errorMessage(error);
    const position = /position (\d+)/.exec(message);
    const line = position ? text.slice(0, Number(position[1])).split('\n').length : undefined;
    const problem: Problem = {
      where: line ? `${file}:${line}` : file,
      message: `invalid JSON: ${message}`,
      file,
      ...(line ? { line } : {}),
    };
    throw new ConfigurationError(`${file} is not valid JSON; fix the syntax.`, [problem]);
  }
}

function parseYaml(text: string, file: string): { document: Document; lines: LineCounter } {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (document.errors.length > 0) {
    const problems = document.errors.map((error): Problem => {
      const pos = lines.linePos(error.pos[0]);
      return {
        where: `${file}:${pos.line}`,
        message: error.message.split('\n')[0] ?? error.message,
        file,
        line: pos.line,
        column: pos.col,
      };
    });
    throw new ConfigurationError(`${file} is not valid YAML; fix the syntax.`, problems);
  }
  return { document, lines };
}

function nodePosition(document: Document, lines: LineCounter, path: JsonPath): { line: number; column: number } {
  let node: unknown = document.contents;
  let found: Node | undefined = isNode(node) ? node : undefined;
  for (const key of path) {
    if (!isCollection(node)) break;
    const next: unknown = node.get(key, true);
    if (!isNode(next)) {
      // A pair whose key exists with a null value still has a position: the key's.
      break;
    }
    node = next;
    found = next;
  }
  const offset = found?.range?.[0] ?? 0;
  const pos = lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}
