import { readFile, stat } from 'node:fs/promises';
import { LineCounter, parseDocument, isCollection, isMap, isNode, isScalar, isSeq, type Document, type Node } from 'yaml';
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
  /**
   * The line of the key that names the value at `path` (a YAML block's value starts a line below
   * its key); undefined when the path is not in the document.
   */
  locateKey(path: JsonPath): SourceLocation | undefined;
}

/** ARM refuses a template or parameters file over 4 MB; nothing we read is legitimately larger. */
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;
/** Deeper than any real template or config nests, and shallow enough that reading it recurses safely. */
const MAX_DEPTH = 100;

export async function readLocatedDocument(file: string, displayName = file): Promise<LocatedDocument> {
  let text: string;
  try {
    const size = (await stat(file)).size;
    if (size > MAX_DOCUMENT_BYTES) {
      throw new ConfigurationError(
        `${displayName} is ${size} bytes; ARM accepts templates and parameters files of at most 4 MB. Check that this is the file you meant.`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(`Cannot read ${displayName}: ${errorMessage(error)}. Check the path.`);
  }
  return parseLocatedDocument(text, displayName);
}

export function parseLocatedDocument(source: string, file: string): LocatedDocument {
  const isJson = file.toLowerCase().endsWith('.json');
  // The Azure CLI and PowerShell deploy templates and parameters files with comments: read them as they do.
  const text = isJson ? blankJsonComments(source) : source;
  if (nestingDepth(text) > MAX_DEPTH) {
    throw new ConfigurationError(
      `${file} nests objects or lists more than ${MAX_DEPTH} levels deep; no template or config does. Check that this is the file you meant.`,
    );
  }
  let value: unknown;
  if (isJson) value = parseJson(text, file);
  else {
    try {
      value = parseYaml(text, file).document.toJS({ maxAliasCount: 100 });
    } catch (error) {
      if (error instanceof ConfigurationError) throw error;
      // The yaml library refuses alias expansion that would blow up (a "billion laughs" file).
      throw new ConfigurationError(`${file} cannot be read: ${errorMessage(error)}. Write the values out instead of through YAML aliases.`);
    }
  }
  let located: { document: Document; lines: LineCounter } | undefined;
  return {
    file,
    value,
    locate(path) {
      located ??= parseYaml(text, file);
      return { file, ...nodePosition(located.document, located.lines, path) };
    },
    locateKey(path) {
      located ??= parseYaml(text, file);
      const position = keyPosition(located.document, located.lines, path);
      return position ? { file, ...position } : undefined;
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

function keyPosition(document: Document, lines: LineCounter, path: JsonPath): { line: number; column: number } | undefined {
  let node: unknown = document.contents;
  let at: Node | undefined = isNode(node) ? node : undefined;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(key));
      if (!pair || !isNode(pair.key)) return undefined;
      at = pair.key;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number' && isNode(node.items[key])) {
      at = node.items[key] as Node;
      node = at;
    } else return undefined;
  }
  if (at?.range === undefined || at.range === null) return undefined;
  const pos = lines.linePos(at.range[0]);
  return { line: pos.line, column: pos.col };
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

/**
 * JSON with `//` and `/* *\/` comments turned to spaces (line breaks kept, so every value keeps
 * its line and column); comment marks inside strings are text. An unterminated block comment is
 * left as written, for JSON.parse to refuse.
 */
export function blankJsonComments(text: string): string {
  if (!text.includes('/')) return text;
  const parts: string[] = [];
  let start = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (inString) {
      if (char === '\\') i++;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    if (char !== '/' || (text[i + 1] !== '/' && text[i + 1] !== '*')) continue;
    const block = text[i + 1] === '*';
    const close = block ? text.indexOf('*/', i + 2) : text.indexOf('\n', i);
    if (block && close < 0) break;
    const end = block ? close + 2 : close < 0 ? text.length : close;
    parts.push(text.slice(start, i), text.slice(i, end).replace(/[^\r\n]/g, ' '));
    start = end;
    i = end - 1;
  }
  parts.push(text.slice(start));
  return parts.join('');
}

/** How deep brackets and braces nest in the text (strings skipped), measured without parsing it. */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
    } else if (char === '"') quote = char;
    else if (char === '[' || char === '{') deepest = Math.max(deepest, ++depth);
    else if (char === ']' || char === '}') depth--;
  }
  return deepest;
}
