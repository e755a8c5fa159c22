import { createHash } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { providerPath } from '../core/resource-id.js';
import type { ExpressionScope, Node } from './expressions.js';
import {
  TemplateError,
  UnknownValue,
  containsUnknown,
  describe,
  findKey,
  foldName,
  isUnknown,
  parameterPlaceholder,
  placeholderIn,
  unknownFromParameter,
} from './values.js';

/**
 * ARM's template functions, with the semantics Microsoft documents for each (its "Template
 * functions" reference pages; test/fixtures/arm-functions holds their examples, which the
 * conformance suite runs). Limits are ARM's own, so hostile input costs no more than ARM allows.
 */

export type Evaluate = (node: Node, scope?: ExpressionScope) => unknown;

interface Fn {
  call(args: unknown[], scope: ExpressionScope, text: string): unknown;
  /** Takes values that hold unknowns inside (union, concat of arrays...): the unknown stays where it is. */
  acceptsUnknowns?: boolean;
  /** Builds strings or ids from a missing parameter's placeholder without looking inside it (concat, format, resourceId...). */
  keepsParameters?: boolean;
}

/** ARM's `range()` returns at most this many integers. */
const MAX_RANGE = 10_000;
/** The most characters a function may produce: a template is at most 4 MB. */
const MAX_STRING = 4 * 1024 * 1024;

const fail = (text: string, problem: string): never => {
  throw new TemplateError(`The template language expression '${text}' is not valid: ${problem}.`);
};

function arity(name: string, args: readonly unknown[], min: number, max: number, text: string): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail(text, `${name}() takes ${expected} argument(s), not ${args.length}`);
  }
}

/**
 * A value as ARM turns it into text (`string()`, `concat()`, `format()`, ...): .NET's, not
 * JavaScript's. A boolean is `True`/`False`; an object or array is compact JSON, where booleans
 * stay `true`/`false`; null is empty.
 */
export const str = (value: unknown): string =>
  typeof value === 'string'
    ? value
    : value === null
      ? ''
      : typeof value === 'boolean'
        ? value
          ? 'True'
          : 'False'
        : typeof value === 'object'
          ? JSON.stringify(value)
          : String(value);

/** A JSON object; an UnknownValue is not one, whatever it may turn out to be. */
const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !isUnknown(value);

function checked(text: string, result: string): string {
  if (result.length > MAX_STRING) fail(text, `the result is ${result.length} characters, more than a template may hold`);
  return result;
}

function integer(name: string, value: unknown, text: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(text, `${name}() expects an integer, not ${describe(value)}`);
  return value as number;
}

function stringArg(name: string, value: unknown, text: string): string {
  if (typeof value !== 'string') fail(text, `${name}() expects a string, not ${describe(value)}`);
  return value as string;
}

/** Deep equality with ARM's rules: strings case-sensitively, object keys without case. */
export function armEquals(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, index) => armEquals(item, b[index]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => armEquals(a[key], findKey(b, key)));
  }
  return a === b;
}

/** ARM compares strings as .NET's invariant culture does: 'a' sorts before 'A'. */
function compare(a: unknown, b: unknown, text: string): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return a.localeCompare(b, 'en');
  return fail(text, `a comparison needs two integers or two strings, not ${describe(a)} and ${describe(b)}`);
}

/** `union()` merges objects recursively: a nested object in a later argument merges into the same key's object. */
function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  // Keys without case, as ARM compares them: a later argument's spelling wins.
  const result = new Map(Object.entries(target).map(([key, value]) => [foldName(key), { key, value }]));
  for (const [key, value] of Object.entries(source)) {
    const existing = result.get(foldName(key))?.value;
    // An unknown earlier value may be an object the later one merges into: which keys it keeps is unknown.
    const merged =
      isObject(existing) && isObject(value) ? deepMerge(existing, value) : isUnknown(existing) && isObject(value) ? existing : value;
    result.set(foldName(key), { key, value: merged });
  }
  return Object.fromEntries([...result.values()].map(({ key, value }) => [key, value]));
}

function distinct(items: unknown[]): unknown[] {
  const kept: unknown[] = [];
  for (const item of items) if (!kept.some((other) => armEquals(other, item))) kept.push(item);
  return kept;
}

/** .NET composite formatting as `format()` uses it: `{0}`, `{0:N0}`, `{{` and `}}`. */
function composite(template: string, values: unknown[], text: string): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i] as string;
    if (char === '{' && template[i + 1] === '{') {
      out += '{';
      i++;
    } else if (char === '}' && template[i + 1] === '}') {
      out += '}';
      i++;
    } else if (char === '{') {
      const end = template.indexOf('}', i);
      const match = end === -1 ? null : /^(\d+)(?:,(-?\d+))?(?::(.*))?$/.exec(template.slice(i + 1, end));
      if (!match) return fail(text, `the format string '${template}' is malformed`);
      const index = Number(match[1]);
      if (index >= values.length) return fail(text, `the format string refers to argument ${index}, but only ${values.length} were given`);
      let piece = formatValue(values[index], match[3]);
      const width = Number(match[2] ?? 0);
      piece = width < 0 ? piece.padEnd(-width) : piece.padStart(width);
      out += piece;
      i = end;
    } else out += char;
  }
  return out;
}

function formatValue(value: unknown, format: string | undefined): string {
  if (format === undefined || typeof value !== 'number') return str(value);
  const spec = /^([NnDdXxFfPp])(\d*)$/.exec(format);
  if (!spec) return str(value);
  const digits = spec[2] === '' ? undefined : Number(spec[2]);
  switch ((spec[1] as string).toUpperCase()) {
    case 'N':
      return value.toLocaleString('en-US', { minimumFractionDigits: digits ?? 2, maximumFractionDigits: digits ?? 2 });
    case 'F':
      return value.toFixed(digits ?? 2);
    case 'D':
      return String(Math.trunc(value)).padStart(digits ?? 0, '0');
    case 'X':
      return (spec[1] === 'X' ? Math.trunc(value).toString(16).toUpperCase() : Math.trunc(value).toString(16)).padStart(digits ?? 0, '0');
    case 'P':
      return `${(value * 100).toLocaleString('en-US', { minimumFractionDigits: digits ?? 2, maximumFractionDigits: digits ?? 2 })} %`;
    default:
      return str(value);
  }
}

/**
 * `json()` parses as ARM's JSON reader (Newtonsoft) does, which is laxer than JSON: single-quoted
 * strings (`{'one': 'a'}`) and a number with no leading digit (`.25`). A YAML flow value is that
 * same superset, so the YAML parser reads what JSON.parse refuses.
 */
function parseJson(value: string, text: string): unknown {
  const trimmed = value.trim();
  try {
    return JSON.parse(trimmed);
  } catch {
    try {
      if (/^[[{'"\d.-]/.test(trimmed) || /^(true|false|null)$/.test(trimmed))
        return parseYaml(trimmed.replace(/^(-?)\./, '$10.'), { maxAliasCount: 0 });
    } catch {
      // Not JSON in any form ARM reads either.
    }
    return fail(text, 'json() was given text that is not JSON');
  }
}

function hashHex(args: unknown[]): string {
  return createHash('sha256').update(args.map(str).join('\u0000')).digest('hex');
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

function resourceIdOf(args: unknown[], scope: ExpressionScope, text: string): string {
  const typeIndex = args.findIndex((arg) => typeof arg === 'string' && arg.includes('/'));
  if (typeIndex < 0 || typeIndex > 2) return fail(text, 'resourceId() needs a resource type such as Microsoft.KeyVault/vaults');
  const names = args.slice(typeIndex + 1).map(str);
  const type = str(args[typeIndex]);
  if (names.length !== type.split('/').length - 1)
    fail(text, `resourceId() of ${type} needs ${type.split('/').length - 1} name(s), not ${names.length}`);
  const [subscriptionId, resourceGroup] =
    typeIndex === 2
      ? [str(args[0]), str(args[1])]
      : typeIndex === 1
        ? [scope.subscriptionId, str(args[0])]
        : [scope.subscriptionId, scope.resourceGroup];
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}${providerPath(type, names)}`;
}

/** An ISO 8601 duration added to a date as `dateTimeAdd` does: a year is 365 days and a month 30, whatever the calendar says. */
function addDuration(base: Date, duration: string, text: string): Date {
  const match = /^(-)?P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(duration);
  if (!match || duration === 'P' || duration.endsWith('T')) return fail(text, `'${duration}' is not an ISO 8601 duration`);
  const sign = match[1] ? -1 : 1;
  const n = (i: number) => Number(match[i] ?? 0);
  const days = n(2) * 365 + n(3) * 30 + n(4) * 7 + n(5);
  return new Date(base.getTime() + sign * ((days * 24 + n(6)) * 3600 + n(7) * 60 + n(8)) * 1000);
}

/** ISO 8601 in whole seconds, as ARM writes dates. */
function isoSeconds(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

function lambdaOf(node: Node | undefined, text: string): { params: string[]; body: Node } {
  if (!node || node.kind !== 'call' || node.name !== 'lambda' || node.args.length < 2)
    return fail(text, 'a lambda function (lambda(...)) is expected here');
  const params = node.args
    .slice(0, -1)
    .map((arg) =>
      arg.kind === 'literal' && typeof arg.value === 'string' ? arg.value : fail(text, "a lambda's parameters are names in quotes"),
    );
  return { params, body: node.args.at(-1) as Node };
}

/** A scope where `lambdaVariables(name)` gives the lambda's arguments. */
function withLambda(scope: ExpressionScope, params: string[], values: unknown[]): ExpressionScope {
  const bound = new Map(params.map((param, index) => [param, values[index]]));
  return { ...scope, lambdaVariable: (name) => (bound.has(name) ? bound.get(name) : scope.lambdaVariable?.(name)) };
}

type Lazy = (args: Node[], evaluate: Evaluate, scope: ExpressionScope, text: string) => unknown;

/** Functions that decide what to evaluate: conditions, short circuits and lambdas. */
export const LAZY_FUNCTIONS: Record<string, Lazy> = {
  if: (args, evaluate, _scope, text) => {
    arity('if', args, 3, 3, text);
    const condition = evaluate(args[0] as Node);
    if (isUnknown(condition)) return condition;
    const parameter = placeholderIn(condition);
    if (parameter) return unknownFromParameter(parameter, text);
    if (typeof condition !== 'boolean') fail(text, `if() needs a boolean condition, not ${describe(condition)}`);
    return evaluate(args[condition ? 1 : 2] as Node);
  },
  and: (args, evaluate, _scope, text) => shortCircuit('and', args, evaluate, text),
  or: (args, evaluate, _scope, text) => shortCircuit('or', args, evaluate, text),
  coalesce: (args, evaluate) => {
    for (const arg of args) {
      const value = evaluate(arg);
      if (isUnknown(value)) return value;
      if (value !== null && value !== undefined) return value;
    }
    return null;
  },
  lambdavariables: (args, evaluate, scope, text) => {
    const name = evaluate(args[0] as Node);
    if (!scope.lambdaVariable) return fail(text, 'lambdaVariables() is used outside a lambda');
    const value = scope.lambdaVariable(String(name));
    return value === undefined ? fail(text, `the lambda has no variable '${String(name)}'`) : value;
  },
  filter: (args, evaluate, scope, text) =>
    overArray('filter', args, evaluate, text, 2, (items, lambda) => {
      const kept: unknown[] = [];
      for (const [index, item] of items.entries()) {
        const keep = evaluate(lambda.body, withLambda(scope, lambda.params, [item, index]));
        if (isUnknown(keep)) return keep;
        if (keep === true) kept.push(item);
      }
      return kept;
    }),
  map: (args, evaluate, scope, text) =>
    overArray('map', args, evaluate, text, 2, (items, lambda) =>
      items.map((item, index) => evaluate(lambda.body, withLambda(scope, lambda.params, [item, index]))),
    ),
  sort: (args, evaluate, scope, text) =>
    overArray('sort', args, evaluate, text, 2, (items, lambda) => {
      let unknown: UnknownValue | undefined;
      const sorted = [...items].sort((a, b) => {
        if (evaluate(lambda.body, withLambda(scope, lambda.params, [a, b])) === true) return -1;
        const after = evaluate(lambda.body, withLambda(scope, lambda.params, [b, a]));
        if (isUnknown(after)) unknown ??= after;
        return after === true ? 1 : 0;
      });
      return unknown ?? sorted;
    }),
  reduce: (args, evaluate, scope, text) => {
    arity('reduce', args, 3, 3, text);
    const items = evaluate(args[0] as Node);
    if (isUnknown(items)) return items;
    if (!Array.isArray(items)) return fail(text, `reduce() needs an array, not ${describe(items)}`);
    const lambda = lambdaOf(args[2], text);
    let accumulator = evaluate(args[1] as Node);
    for (const [index, item] of items.entries()) {
      if (isUnknown(accumulator)) return accumulator;
      accumulator = evaluate(lambda.body, withLambda(scope, lambda.params, [accumulator, item, index]));
    }
    return accumulator;
  },
  toobject: (args, evaluate, scope, text) => {
    arity('toObject', args, 2, 3, text);
    const items = evaluate(args[0] as Node);
    if (isUnknown(items)) return items;
    if (!Array.isArray(items)) return fail(text, `toObject() needs an array, not ${describe(items)}`);
    const keyOf = lambdaOf(args[1], text);
    const valueOf = args[2] ? lambdaOf(args[2], text) : undefined;
    const result: Record<string, unknown> = {};
    for (const item of items) {
      const key = evaluate(keyOf.body, withLambda(scope, keyOf.params, [item]));
      if (isUnknown(key)) return key;
      result[str(key)] = valueOf ? evaluate(valueOf.body, withLambda(scope, valueOf.params, [item])) : item;
    }
    return result;
  },
  groupby: (args, evaluate, scope, text) =>
    overArray('groupBy', args, evaluate, text, 2, (items, lambda) => {
      const groups: Record<string, unknown[]> = {};
      for (const item of items) {
        const key = evaluate(lambda.body, withLambda(scope, lambda.params, [item]));
        if (isUnknown(key)) return key;
        (groups[str(key)] ??= []).push(item);
      }
      return groups;
    }),
  mapvalues: (args, evaluate, scope, text) => {
    arity('mapValues', args, 2, 2, text);
    const object = evaluate(args[0] as Node);
    if (isUnknown(object)) return object;
    if (!isObject(object)) return fail(text, `mapValues() needs an object, not ${describe(object)}`);
    const lambda = lambdaOf(args[1], text);
    return Object.fromEntries(
      Object.entries(object).map(([key, value]) => [key, evaluate(lambda.body, withLambda(scope, lambda.params, [value]))]),
    );
  },
  lambda: (_args, _evaluate, _scope, text) =>
    fail(text, 'lambda() may only be an argument of filter, map, reduce, sort, toObject, groupBy or mapValues'),
};

function shortCircuit(name: 'and' | 'or', args: Node[], evaluate: Evaluate, text: string): unknown {
  arity(name, args, 2, Infinity, text);
  let unknown: UnknownValue | undefined;
  for (const arg of args) {
    const value = evaluate(arg);
    if (isUnknown(value)) unknown ??= value;
    else if (placeholderIn(value)) unknown ??= unknownFromParameter(placeholderIn(value) as string, text);
    else if (typeof value !== 'boolean') fail(text, `${name}() needs booleans, not ${describe(value)}`);
    else if (value === (name === 'or')) return name === 'or';
  }
  return unknown ?? name === 'and';
}

function overArray(
  name: string,
  args: Node[],
  evaluate: Evaluate,
  text: string,
  count: number,
  body: (items: unknown[], lambda: { params: string[]; body: Node }) => unknown,
): unknown {
  arity(name, args, count, count, text);
  const items = evaluate(args[0] as Node);
  if (isUnknown(items)) return items;
  if (!Array.isArray(items)) return fail(text, `${name}() needs an array, not ${describe(items)}`);
  return body(items, lambdaOf(args[1], text));
}

const fixed = (name: string, min: number, max: number, fn: Fn['call'], acceptsUnknowns = false): Fn => ({
  call: (args, scope, text) => {
    arity(name, args, min, max, text);
    return fn(args, scope, text);
  },
  acceptsUnknowns,
});

const stringOrArray = (name: string, value: unknown, text: string): string | unknown[] =>
  typeof value === 'string' || Array.isArray(value) ? value : fail(text, `${name}() needs a string or an array, not ${describe(value)}`);

function tryGet(value: unknown, keys: unknown[]): unknown {
  let current = value;
  for (const key of keys) {
    // An unknown on the way may hold the key: what tryGet finds there is unknown, not null.
    if (isUnknown(current)) return current;
    if (Array.isArray(current) && typeof key === 'number') current = current[key];
    else if (isObject(current) && typeof key === 'string') current = findKey(current, key);
    else return null;
    if (current === undefined) return null;
  }
  return current;
}

export const FUNCTIONS: Record<string, Fn> = {
  parameters: fixed('parameters', 1, 1, ([name], scope) => scope.parameter(str(name))),
  variables: fixed('variables', 1, 1, ([name], scope) => scope.variable(str(name))),
  copyindex: fixed('copyIndex', 0, 2, (args, scope, text) => {
    const loop = args.find((a) => typeof a === 'string') as string | undefined;
    const offset = (args.find((a) => typeof a === 'number') as number | undefined) ?? 0;
    const index = scope.copyIndex(loop);
    if (index === undefined) fail(text, `copyIndex() is used outside a copy loop${loop ? ` named '${loop}'` : ''}`);
    return (index as number) + offset;
  }),

  // ------------------------------------------------ strings and arrays
  concat: {
    call: (args, _scope, text) => {
      if (args.length === 0) return fail(text, 'concat() takes at least 1 argument');
      if (Array.isArray(args[0])) {
        const joined = args.flatMap((a) => (Array.isArray(a) ? a : [a]));
        if (joined.length > MAX_RANGE * 10) fail(text, 'concat() would make an array longer than a template allows');
        return joined;
      }
      if (args.some((a) => containsUnknown(a))) return args.find((a) => containsUnknown(a));
      return checked(text, args.map(str).join(''));
    },
    acceptsUnknowns: true,
  },
  format: {
    call: (args, _scope, text) => {
      arity('format', args, 1, Infinity, text);
      return checked(text, composite(stringArg('format', args[0], text), args.slice(1), text));
    },
  },
  string: fixed('string', 1, 1, ([value]) => str(value)),
  tolower: fixed('toLower', 1, 1, ([value], _s, text) => stringArg('toLower', value, text).toLowerCase()),
  toupper: fixed('toUpper', 1, 1, ([value], _s, text) => stringArg('toUpper', value, text).toUpperCase()),
  trim: fixed('trim', 1, 1, ([value], _s, text) => stringArg('trim', value, text).trim()),
  padleft: fixed('padLeft', 2, 3, ([value, width, pad], _s, text) => {
    const total = integer('padLeft', width, text);
    if (total > 16_000) fail(text, `padLeft() pads to at most 16000 characters, not ${total}`);
    const padding = pad === undefined ? ' ' : str(pad);
    if (padding.length !== 1) fail(text, 'padLeft() pads with one character');
    return str(value).padStart(total, padding);
  }),
  replace: fixed('replace', 3, 3, ([value, find, replacement], _s, text) =>
    checked(
      text,
      stringArg('replace', value, text)
        .split(stringArg('replace', find, text))
        .join(stringArg('replace', replacement, text)),
    ),
  ),
  substring: fixed('substring', 1, 3, ([value, start, length], _s, text) => {
    const source = stringArg('substring', value, text);
    const from = start === undefined ? 0 : integer('substring', start, text);
    const count = length === undefined ? source.length - from : integer('substring', length, text);
    if (from < 0 || count < 0 || from + count > source.length)
      fail(text, `substring() of a ${source.length}-character string cannot start at ${from} and take ${count}`);
    return source.substring(from, from + count);
  }),
  split: fixed('split', 2, 2, ([value, separators], _s, text) => {
    const source = stringArg('split', value, text);
    const list = (Array.isArray(separators) ? separators : [separators]).map(str).filter((s) => s.length > 0);
    if (list.length === 0) return [source];
    const pattern = new RegExp(list.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
    return source.split(pattern);
  }),
  join: fixed('join', 2, 2, ([items, delimiter], _s, text) => {
    if (!Array.isArray(items)) fail(text, `join() needs an array, not ${describe(items)}`);
    return checked(text, (items as unknown[]).map(str).join(stringArg('join', delimiter, text)));
  }),
  startswith: fixed('startsWith', 2, 2, ([value, prefix], _s, text) =>
    stringArg('startsWith', value, text)
      .toLowerCase()
      .startsWith(stringArg('startsWith', prefix, text).toLowerCase()),
  ),
  endswith: fixed('endsWith', 2, 2, ([value, suffix], _s, text) =>
    stringArg('endsWith', value, text)
      .toLowerCase()
      .endsWith(stringArg('endsWith', suffix, text).toLowerCase()),
  ),
  indexof: fixed('indexOf', 2, 2, ([value, item], _s, text) =>
    Array.isArray(value)
      ? value.findIndex((entry) => armEquals(entry, item))
      : stringArg('indexOf', value, text).toLowerCase().indexOf(str(item).toLowerCase()),
  ),
  lastindexof: fixed('lastIndexOf', 2, 2, ([value, item], _s, text) => {
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) if (armEquals(value[i], item)) return i;
      return -1;
    }
    return stringArg('lastIndexOf', value, text).toLowerCase().lastIndexOf(str(item).toLowerCase());
  }),
  first: fixed(
    'first',
    1,
    1,
    ([value], _s, text) => {
      const items = stringOrArray('first', value, text);
      return items.length === 0 ? (typeof items === 'string' ? '' : null) : items[0];
    },
    true,
  ),
  last: fixed(
    'last',
    1,
    1,
    ([value], _s, text) => {
      const items = stringOrArray('last', value, text);
      return items.length === 0 ? (typeof items === 'string' ? '' : null) : items[items.length - 1];
    },
    true,
  ),
  take: fixed(
    'take',
    2,
    2,
    ([value, count], _s, text) => stringOrArray('take', value, text).slice(0, Math.max(0, integer('take', count, text))),
    true,
  ),
  skip: fixed(
    'skip',
    2,
    2,
    ([value, count], _s, text) => stringOrArray('skip', value, text).slice(Math.max(0, integer('skip', count, text))),
    true,
  ),
  length: fixed(
    'length',
    1,
    1,
    ([value], _s, text) =>
      typeof value === 'string' || Array.isArray(value)
        ? value.length
        : isObject(value)
          ? Object.keys(value).length
          : fail(text, `length() of ${describe(value)}`),
    true,
  ),
  empty: fixed(
    'empty',
    1,
    1,
    ([value]) =>
      value === null ||
      value === '' ||
      (Array.isArray(value) ? value.length === 0 : isObject(value) ? Object.keys(value).length === 0 : false),
    true,
  ),
  contains: fixed('contains', 2, 2, ([container, item], _s, text) => {
    // Case-sensitive for strings and arrays; object keys, like every ARM property name, without case.
    if (typeof container === 'string') return container.includes(str(item));
    if (Array.isArray(container)) return container.some((entry) => armEquals(entry, item));
    if (isObject(container)) return findKey(container, str(item)) !== undefined;
    return fail(text, `contains() needs a string, an array or an object, not ${describe(container)}`);
  }),
  array: fixed('array', 1, 1, ([value]) => (Array.isArray(value) ? value : [value]), true),
  createarray: { call: (args) => args, acceptsUnknowns: true },
  createobject: {
    call: (args, _s, text) => {
      if (args.length % 2 !== 0) fail(text, 'createObject() takes pairs of key and value');
      const object: Record<string, unknown> = {};
      for (let i = 0; i + 1 < args.length; i += 2) {
        if (isUnknown(args[i])) return args[i];
        object[stringArg('createObject', args[i], text)] = args[i + 1];
      }
      return object;
    },
    acceptsUnknowns: true,
  },
  union: {
    call: (args, _s, text) => {
      if (args.length === 0) return fail(text, 'union() takes at least 1 argument');
      const top = args.find(isUnknown);
      if (top) return top;
      if (args.every(Array.isArray)) return distinct((args as unknown[][]).flat());
      if (args.every((a) => isObject(a) || a === null)) return (args.filter(isObject) as Record<string, unknown>[]).reduce(deepMerge, {});
      return fail(text, 'union() takes all arrays or all objects');
    },
    acceptsUnknowns: true,
  },
  intersection: fixed('intersection', 2, Infinity, (args, _s, text) => {
    if (args.every(Array.isArray))
      return distinct(
        (args[0] as unknown[]).filter((item) => (args.slice(1) as unknown[][]).every((other) => other.some((o) => armEquals(o, item)))),
      );
    if (args.every(isObject)) {
      const [head, ...rest] = args as Record<string, unknown>[];
      return Object.fromEntries(
        Object.entries(head as Record<string, unknown>).filter(([key, value]) =>
          rest.every((other) => armEquals(findKey(other, key), value)),
        ),
      );
    }
    return fail(text, 'intersection() takes all arrays or all objects');
  }),
  objectkeys: fixed(
    'objectKeys',
    1,
    1,
    ([value], _s, text) => (isObject(value) ? Object.keys(value) : fail(text, `objectKeys() of ${describe(value)}`)),
    true,
  ),
  items: fixed(
    'items',
    1,
    1,
    ([value], _s, text) => {
      if (!isObject(value)) fail(text, `items() of ${describe(value)}`);
      return Object.keys(value as Record<string, unknown>)
        .sort((a, b) => a.localeCompare(b, 'en'))
        .map((key) => ({ key, value: (value as Record<string, unknown>)[key] }));
    },
    true,
  ),
  shallowmerge: fixed(
    'shallowMerge',
    1,
    1,
    ([items], _s, text) => {
      // An unknown entry may set any key, over the entries before it and under those after: the merge is unknown.
      const unknownItem = Array.isArray(items) ? items.find(isUnknown) : undefined;
      if (unknownItem) return unknownItem;
      if (!Array.isArray(items) || !items.every(isObject)) fail(text, 'shallowMerge() takes an array of objects');
      return Object.assign({}, ...(items as object[]));
    },
    true,
  ),
  tryget: fixed('tryGet', 2, Infinity, ([value, ...keys]) => tryGet(value, keys), true),
  indexfromend: fixed(
    'indexFromEnd',
    2,
    2,
    ([items, index], _s, text) => {
      const list = Array.isArray(items) ? items : fail(text, `indexFromEnd() needs an array, not ${describe(items)}`);
      const position = integer('indexFromEnd', index, text);
      if (position < 1 || position > list.length)
        fail(text, `indexFromEnd() index ${position} is outside the array's ${list.length} item(s)`);
      return list[list.length - position];
    },
    true,
  ),
  tryindexfromend: fixed(
    'tryIndexFromEnd',
    2,
    2,
    ([items, index], _s, text) => {
      const list = Array.isArray(items) ? items : fail(text, `tryIndexFromEnd() needs an array, not ${describe(items)}`);
      const position = integer('tryIndexFromEnd', index, text);
      return position >= 1 && position <= list.length ? list[list.length - position] : null;
    },
    true,
  ),
  range: fixed('range', 2, 2, ([start, count], _s, text) => {
    const from = integer('range', start, text);
    const total = integer('range', count, text);
    if (total < 0 || total > MAX_RANGE) fail(text, `range() counts 0 to ${MAX_RANGE} integers, not ${total}`);
    if (from + total > 2_147_483_647) fail(text, 'range() must end below 2147483647');
    return Array.from({ length: total }, (_, i) => from + i);
  }),

  // ------------------------------------------------ comparison and logic
  equals: fixed('equals', 2, 2, ([a, b]) => armEquals(a, b)),
  greater: fixed('greater', 2, 2, ([a, b], _s, text) => compare(a, b, text) > 0),
  greaterorequals: fixed('greaterOrEquals', 2, 2, ([a, b], _s, text) => compare(a, b, text) >= 0),
  less: fixed('less', 2, 2, ([a, b], _s, text) => compare(a, b, text) < 0),
  lessorequals: fixed('lessOrEquals', 2, 2, ([a, b], _s, text) => compare(a, b, text) <= 0),
  not: fixed('not', 1, 1, ([value], _s, text) =>
    typeof value === 'boolean' ? !value : fail(text, `not() needs a boolean, not ${describe(value)}`),
  ),
  true: fixed('true', 0, 0, () => true),
  false: fixed('false', 0, 0, () => false),
  null: fixed('null', 0, 0, () => null),
  bool: fixed('bool', 1, 1, ([value], _s, text) => {
    if (typeof value === 'boolean') return value;
    if (typeof value === 'number') return value !== 0;
    if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
    return fail(text, `bool() cannot convert ${describe(value)}`);
  }),

  // ------------------------------------------------ numbers
  int: fixed('int', 1, 1, ([value], _s, text) => {
    const number =
      typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : typeof value === 'number' ? Math.trunc(value) : NaN;
    return Number.isInteger(number) ? number : fail(text, `int() cannot convert ${describe(value)}`);
  }),
  add: fixed('add', 2, 2, ([a, b], _s, text) => integer('add', a, text) + integer('add', b, text)),
  sub: fixed('sub', 2, 2, ([a, b], _s, text) => integer('sub', a, text) - integer('sub', b, text)),
  mul: fixed('mul', 2, 2, ([a, b], _s, text) => integer('mul', a, text) * integer('mul', b, text)),
  div: fixed('div', 2, 2, ([a, b], _s, text) => {
    const divisor = integer('div', b, text);
    if (divisor === 0) fail(text, 'div() by zero');
    return Math.trunc(integer('div', a, text) / divisor);
  }),
  mod: fixed('mod', 2, 2, ([a, b], _s, text) => {
    const divisor = integer('mod', b, text);
    if (divisor === 0) fail(text, 'mod() by zero');
    return integer('mod', a, text) % divisor;
  }),
  min: { call: (args, _s, text) => Math.min(...(args.flat() as unknown[]).map((v) => integer('min', v, text))) },
  max: { call: (args, _s, text) => Math.max(...(args.flat() as unknown[]).map((v) => integer('max', v, text))) },

  // ------------------------------------------------ conversions
  json: fixed('json', 1, 1, ([value], _s, text) => parseJson(stringArg('json', value, text), text)),
  base64: fixed('base64', 1, 1, ([value]) => Buffer.from(str(value)).toString('base64')),
  base64tostring: fixed('base64ToString', 1, 1, ([value], _s, text) =>
    Buffer.from(stringArg('base64ToString', value, text), 'base64').toString('utf8'),
  ),
  base64tojson: fixed('base64ToJson', 1, 1, ([value], _s, text) =>
    parseJson(Buffer.from(stringArg('base64ToJson', value, text), 'base64').toString('utf8'), text),
  ),
  datauri: fixed('dataUri', 1, 1, ([value]) => `data:text/plain;charset=utf8;base64,${Buffer.from(str(value)).toString('base64')}`),
  datauritostring: fixed('dataUriToString', 1, 1, ([value], _s, text) => {
    const match = /^data:[^,]*?(;base64)?,(.*)$/s.exec(stringArg('dataUriToString', value, text));
    if (!match) return fail(text, 'dataUriToString() needs a data URI');
    return match[1] ? Buffer.from(match[2] as string, 'base64').toString('utf8') : decodeURIComponent(match[2] as string);
  }),
  uri: fixed('uri', 2, 2, ([base, relative], _s, text) => {
    try {
      return new URL(stringArg('uri', relative, text), stringArg('uri', base, text)).toString();
    } catch {
      return fail(text, 'uri() needs an absolute base URI');
    }
  }),
  uricomponent: fixed('uriComponent', 1, 1, ([value]) => encodeURIComponent(str(value))),
  uricomponenttostring: fixed('uriComponentToString', 1, 1, ([value], _s, text) =>
    decodeURIComponent(stringArg('uriComponentToString', value, text)),
  ),

  // ------------------------------------------------ dates
  datetimeadd: fixed('dateTimeAdd', 2, 3, ([base, duration], _s, text) => {
    const date = new Date(stringArg('dateTimeAdd', base, text));
    if (Number.isNaN(date.getTime())) fail(text, `dateTimeAdd() cannot read the date '${str(base)}'`);
    return isoSeconds(addDuration(date, stringArg('dateTimeAdd', duration, text), text));
  }),
  datetimefromepoch: fixed('dateTimeFromEpoch', 1, 1, ([seconds], _s, text) =>
    isoSeconds(new Date(integer('dateTimeFromEpoch', seconds, text) * 1000)),
  ),
  datetimetoepoch: fixed('dateTimeToEpoch', 1, 1, ([value], _s, text) => {
    const time = Date.parse(stringArg('dateTimeToEpoch', value, text));
    return Number.isNaN(time) ? fail(text, `dateTimeToEpoch() cannot read the date '${str(value)}'`) : Math.floor(time / 1000);
  }),

  // ------------------------------------------------ resources and the deployment
  resourceid: { call: resourceIdOf },
  subscriptionresourceid: {
    call: (args, scope, text) => {
      const typeIndex = args.findIndex((arg) => typeof arg === 'string' && arg.includes('/'));
      if (typeIndex < 0 || typeIndex > 1) return fail(text, 'subscriptionResourceId() needs a resource type');
      const subscriptionId = typeIndex === 1 ? str(args[0]) : scope.subscriptionId;
      return `/subscriptions/${subscriptionId}${providerPath(str(args[typeIndex]), args.slice(typeIndex + 1).map(str))}`;
    },
  },
  tenantresourceid: { call: (args) => providerPath(str(args[0]), args.slice(1).map(str)) },
  extensionresourceid: fixed(
    'extensionResourceId',
    3,
    Infinity,
    (args) => `${str(args[0])}${providerPath(str(args[1]), args.slice(2).map(str))}`,
  ),
  // The deployment's own values are what the caller gave; what it did not give is a placeholder
  // (DEPLOYMENT_CONTEXT), and what only Azure knows (tags, display names) is unknown.
  resourcegroup: fixed('resourceGroup', 0, 0, (_args, scope) => ({
    id: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`,
    name: scope.resourceGroup,
    type: 'Microsoft.Resources/resourceGroups',
    location: scope.location,
    properties: { provisioningState: 'Succeeded' },
    tags: new UnknownValue("the resource group's tags are only known at deployment time"),
    managedBy: new UnknownValue('whether another resource manages the resource group is only known at deployment time'),
  })),
  subscription: fixed('subscription', 0, 0, (_args, scope) => ({
    id: `/subscriptions/${scope.subscriptionId}`,
    subscriptionId: scope.subscriptionId,
    tenantId: scope.tenantId,
    displayName: new UnknownValue('the subscription display name is only known at deployment time'),
  })),
  tenant: fixed('tenant', 0, 0, (_args, scope) => ({ tenantId: scope.tenantId })),
  deployment: fixed('deployment', 0, 0, (_args, scope) => ({
    name: scope.deploymentName,
    properties: new UnknownValue("the deployment's template link, parameters and mode are only known at deployment time"),
  })),
  environment: fixed('environment', 0, 0, (_args, scope) =>
    scope.cloud === 'AzureCloud'
      ? {
          name: 'AzureCloud',
          suffixes: {
            storage: 'core.windows.net',
            keyvaultDns: '.vault.azure.net',
            sqlServerHostname: '.database.windows.net',
            acrLoginServer: '.azurecr.io',
          },
          resourceManager: 'https://management.azure.com/',
          authentication: { loginEndpoint: 'https://login.microsoftonline.com/' },
        }
      : new UnknownValue('environment() depends on the cloud deployed to (Azure public, Government, China), which was not given'),
  ),
  // Stable, deterministic stand-ins: the same inputs give the same value every run, but not the
  // value Azure would compute. No control judges these values, only their presence.
  uniquestring: {
    call: (args) => {
      const bytes = Buffer.from(hashHex(args), 'hex');
      let out = '';
      for (let i = 0; i < 13; i++) out += BASE32[(bytes[i] as number) % 32];
      return derived(args, out);
    },
  },
  guid: {
    call: (args) => {
      const hex = hashHex(args);
      return derived(
        args,
        `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16] as string, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`,
      );
    },
  },
};

/**
 * A hash of a missing value (`uniqueString(resourceGroup().id)` with no target given) keeps its
 * placeholder in front: a name built from it still links, and reads as unknown.
 */
function derived(args: unknown[], value: string): string {
  const placeholder = placeholderIn(args);
  return placeholder === undefined ? value : `${parameterPlaceholder(placeholder)}${value}`;
}

// These build strings, lists and ids from their arguments without looking inside them, so a missing
// string parameter's placeholder passes through (and still links names and ids); every other function
// given one answers unknown.
for (const name of [
  'concat',
  'format',
  'string',
  'tolower',
  'toupper',
  'array',
  'createarray',
  'createobject',
  'union',
  'resourceid',
  'subscriptionresourceid',
  'tenantresourceid',
  'extensionresourceid',
  'uniquestring',
  'guid',
]) {
  FUNCTIONS[name] = { ...(FUNCTIONS[name] as Fn), keepsParameters: true };
}
