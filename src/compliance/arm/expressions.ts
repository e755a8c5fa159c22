import { createHash } from 'node:crypto';
import { ConfigurationError } from '../../core/errors.js';
import { UnknownValue, isUnknown } from '../model.js';
import { providerPath } from '../../core/resource-id.js';

/**
 * ARM template expressions (`"[concat(parameters('a'), 'b')]"`), evaluated offline. What only
 * Azure can know at deploy time (`reference`, `list*`, `utcNow`, ...) becomes an UnknownValue,
 * and anything computed from an unknown is unknown too: the gate never guesses a value.
 */

type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'property'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

/** What an expression can see: the template's parameters and variables, the deployment, copy loops. */
export interface ExpressionScope {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  copyIndex(loopName: string | undefined): number | undefined;
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  location: string;
  deploymentName: string;
  /**
   * Deployment-time values of `reference(resourceIdOrName, apiVersion?, 'Full'?)`. Absent offline,
   * where `reference()` is unknown; the sandbox's ARM endpoint supplies it from its resources.
   */
  reference?(target: string, apiVersion: string | undefined, full: boolean, text: string): unknown;
}

/** Evaluates a template string: an expression when bracketed, else the literal (with `[[` unescaped). */
export function evaluateString(text: string, scope: ExpressionScope): unknown {
  if (!text.startsWith('[') || !text.endsWith(']')) return text;
  if (text.startsWith('[[')) return text.slice(1);
  const source = text.slice(1, -1);
  return evaluateNode(parseExpression(source), scope, text);
}

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

// ---------------------------------------------------------------- parsing

export function parseExpression(source: string): Node {
  let position = 0;
  const fail = (what: string): never => {
    throw new ConfigurationError(
      `Template expression "[${source}]" is not valid: ${what} at character ${position + 1}. Fix the expression.`,
    );
  };
  const skipSpace = () => {
    while (position < source.length && /\s/.test(source[position] as string)) position++;
  };
  const parseValue = (): Node => {
    skipSpace();
    const char = source[position];
    let node: Node;
    if (char === "'") {
      let text = '';
      position++;
      for (;;) {
        if (position >= source.length) fail('an unterminated string');
        if (source[position] === "'") {
          if (source[position + 1] === "'") {
            text += "'";
            position += 2;
            continue;
          }
          position++;
          break;
        }
        text += source[position++];
      }
      node = { kind: 'literal', value: text };
    } else if (char !== undefined && /[-\d]/.test(char)) {
      const match = /^-?\d+(\.\d+)?/.exec(source.slice(position));
      if (!match) return fail('a malformed number');
      position += match[0].length;
      node = { kind: 'literal', value: Number(match[0]) };
    } else if (char !== undefined && /[A-Za-z_]/.test(char)) {
      const match = /^[A-Za-z_][\w.]*/.exec(source.slice(position)) as RegExpExecArray;
      const name = match[0];
      position += name.length;
      skipSpace();
      if (source[position] === '(') {
        position++;
        const args: Node[] = [];
        skipSpace();
        if (source[position] === ')') position++;
        else {
          for (;;) {
            args.push(parseValue());
            skipSpace();
            if (source[position] === ',') {
              position++;
              continue;
            }
            if (source[position] === ')') {
              position++;
              break;
            }
            fail("a missing ',' or ')'");
          }
        }
        node = { kind: 'call', name: name.toLowerCase(), args };
      } else if (name === 'true' || name === 'false') node = { kind: 'literal', value: name === 'true' };
      else if (name === 'null') node = { kind: 'literal', value: null };
      else return fail(`"${name}" is neither a function call nor a literal`);
    } else {
      return fail(char === undefined ? 'an unexpected end' : `an unexpected "${char}"`);
    }
    for (;;) {
      skipSpace();
      if (source[position] === '.') {
        position++;
        const match = /^[A-Za-z_$][\w$]*/.exec(source.slice(position));
        if (!match) fail('a property name expected after "."');
        position += (match as RegExpExecArray)[0].length;
        node = { kind: 'property', target: node, name: (match as RegExpExecArray)[0] };
      } else if (source[position] === '[') {
        position++;
        const index = parseValue();
        skipSpace();
        if (source[position] !== ']') fail('a missing "]"');
        position++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = parseValue();
  skipSpace();
  if (position !== source.length) fail('unexpected text after the expression');
  return node;
}

// ---------------------------------------------------------------- evaluation

function evaluateNode(node: Node, scope: ExpressionScope, text: string): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'property':
    case 'index': {
      const target = evaluateNode(node.target, scope, text);
      const key = node.kind === 'property' ? node.name : evaluateNode(node.index, scope, text);
      if (isUnknown(target)) return target;
      if (isUnknown(key)) return key;
      if (target === null || typeof target !== 'object') return new UnknownValue(`cannot read "${String(key)}" of a non-object`, text);
      const found = findKey(target as Record<string, unknown>, key as string | number);
      return found === undefined ? new UnknownValue(`the value has no property "${String(key)}"`, text) : found;
    }
    case 'call':
      return call(node, scope, text);
  }
}

/** ARM property names are case-insensitive. */
function findKey(target: Record<string, unknown>, key: string | number): unknown {
  if (Array.isArray(target) || typeof key === 'number') return (target as Record<string | number, unknown>)[key];
  if (key in target) return target[key];
  const lower = key.toLowerCase();
  const match = Object.keys(target).find((k) => k.toLowerCase() === lower);
  return match === undefined ? undefined : target[match];
}

const DEPLOY_TIME_ONLY = new Set([
  'reference',
  'listkeys',
  'listsecrets',
  'listaccountsas',
  'listservicesas',
  'newguid',
  'utcnow',
  'pickzones',
  'tenant',
  'managementgroup',
  'providers',
  'deployer',
  'getsecret',
  'managementgroupresourceid',
  'tenantresourceid',
]);

function call(node: Extract<Node, { kind: 'call' }>, scope: ExpressionScope, text: string): unknown {
  const evaluate = (arg: Node) => evaluateNode(arg, scope, text);
  const name = node.name;
  // Lazy functions decide on known values without evaluating what they do not need.
  if (name === 'if') {
    arity(name, node.args, 3, 3, text);
    const condition = evaluate(node.args[0] as Node);
    if (isUnknown(condition)) return condition;
    return evaluate(node.args[condition ? 1 : 2] as Node);
  }
  if (name === 'and' || name === 'or') {
    let unknown: UnknownValue | undefined;
    for (const arg of node.args) {
      const value = evaluate(arg);
      if (isUnknown(value)) unknown ??= value;
      else if (Boolean(value) === (name === 'or')) return name === 'or';
    }
    return unknown ?? name === 'and';
  }
  if (name === 'coalesce') {
    for (const arg of node.args) {
      const value = evaluate(arg);
      if (isUnknown(value)) return value;
      if (value !== null && value !== undefined) return value;
    }
    return null;
  }
  if (name === 'reference' && scope.reference) {
    arity(name, node.args, 1, 3, text);
    const args = node.args.map(evaluate);
    const unknownArg = args.find(isUnknown);
    if (unknownArg) return unknownArg;
    const [target, apiVersion, full] = args;
    return scope.reference(
      str(target),
      apiVersion === undefined ? undefined : str(apiVersion),
      typeof full === 'string' && full.toLowerCase() === 'full',
      text,
    );
  }
  if (DEPLOY_TIME_ONLY.has(name) || name.startsWith('list')) return new UnknownValue(`${name}() is only known at deployment time`, text);

  const args = node.args.map(evaluate);
  const unknownArg = args.find(isUnknown);
  if (unknownArg) return unknownArg;
  const fn = FUNCTIONS[name];
  if (!fn) return new UnknownValue(`the function ${name}() is not evaluated offline`, text);
  return fn(args, scope, text);
}

function arity(name: string, args: readonly unknown[], min: number, max: number, text: string): void {
  if (args.length < min || args.length > max) {
    const expected = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    throw new ConfigurationError(`Template expression "${text}": ${name}() takes ${expected} argument(s), not ${args.length}.`);
  }
}

type Fn = (args: unknown[], scope: ExpressionScope, text: string) => unknown;

const str = (value: unknown): string =>
  typeof value === 'string' ? value : typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);

function fixed(min: number, max: number, fn: Fn): Fn {
  return (args, scope, text) => {
    arity('function', args, min, max, text);
    return fn(args, scope, text);
  };
}

function resourceIdOf(args: unknown[], scope: ExpressionScope, text: string): string {
  const typeIndex = args.findIndex((arg) => typeof arg === 'string' && arg.includes('/') && /^[A-Za-z]+\.[A-Za-z.]+\//.test(arg));
  if (typeIndex < 0 || typeIndex > 2 || args.length <= typeIndex + 1) {
    throw new ConfigurationError(
      `Template expression "${text}": resourceId() needs a resource type like 'Microsoft.KeyVault/vaults' followed by the resource name(s).`,
    );
  }
  const subscriptionId = typeIndex === 2 ? str(args[0]) : scope.subscriptionId;
  const resourceGroup = typeIndex >= 1 ? str(args[typeIndex - 1]) : scope.resourceGroup;
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}${providerPath(str(args[typeIndex]), args.slice(typeIndex + 1).map(str))}`;
}

/** `/providers/Microsoft.Sql/servers/srv/databases/db` from a full type and its names. */
function hashHex(args: unknown[]): string {
  return createHash('sha256').update(args.map(str).join('\u0000')).digest('hex');
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

const FUNCTIONS: Record<string, Fn> = {
  parameters: fixed(1, 1, ([name], scope) => scope.parameter(str(name))),
  variables: fixed(1, 1, ([name], scope) => scope.variable(str(name))),
  copyindex: (args, scope, text) => {
    const loop = args.find((a) => typeof a === 'string') as string | undefined;
    const offset = (args.find((a) => typeof a === 'number') as number | undefined) ?? 0;
    const index = scope.copyIndex(loop);
    if (index === undefined)
      throw new ConfigurationError(
        `Template expression "${text}": copyIndex() is used outside a copy loop${loop ? ` named '${loop}'` : ''}.`,
      );
    return index + offset;
  },
  concat: (args) => (args.some(Array.isArray) ? args.flatMap((a) => (Array.isArray(a) ? a : [a])) : args.map(str).join('')),
  format: (args, _scope, text) => {
    arity('format', args, 1, Infinity, text);
    return str(args[0]).replace(/\{(\d+)(:[^}]*)?\}/g, (_, index: string) => str(args[Number(index) + 1]));
  },
  tolower: fixed(1, 1, ([value]) => str(value).toLowerCase()),
  toupper: fixed(1, 1, ([value]) => str(value).toUpperCase()),
  resourceid: resourceIdOf,
  subscriptionresourceid: (args, scope) => {
    const typeIndex = args.findIndex((arg) => typeof arg === 'string' && arg.includes('/'));
    const subscriptionId = typeIndex === 1 ? str(args[0]) : scope.subscriptionId;
    return `/subscriptions/${subscriptionId}${providerPath(str(args[typeIndex]), args.slice(typeIndex + 1).map(str))}`;
  },
  extensionresourceid: (args, _scope, text) => {
    arity('extensionResourceId', args, 3, Infinity, text);
    return `${str(args[0])}${providerPath(str(args[1]), args.slice(2).map(str))}`;
  },
  resourcegroup: (_args, scope) => ({
    id: `/subscriptions/${scope.subscriptionId}/resourceGroups/${scope.resourceGroup}`,
    name: scope.resourceGroup,
    type: 'Microsoft.Resources/resourceGroups',
    location: scope.location,
    properties: { provisioningState: 'Succeeded' },
    tags: {},
  }),
  subscription: (_args, scope) => ({
    id: `/subscriptions/${scope.subscriptionId}`,
    subscriptionId: scope.subscriptionId,
    tenantId: scope.tenantId,
    displayName: scope.subscriptionId,
  }),
  deployment: (_args, scope) => ({ name: scope.deploymentName, properties: { mode: 'Incremental' } }),
  environment: () => ({
    name: 'AzureCloud',
    suffixes: {
      storage: 'core.windows.net',
      keyvaultDns: '.vault.azure.net',
      sqlServerHostname: '.database.windows.net',
      acrLoginServer: '.azurecr.io',
    },
    resourceManager: 'https://management.azure.com/',
    authentication: { loginEndpoint: 'https://login.microsoftonline.com/' },
  }),
  // Stable, deterministic stand-ins: the same inputs give the same value every run, but not
  // the value Azure would compute. No control judges these values, only their presence.
  uniquestring: (args) => {
    const bytes = Buffer.from(hashHex(args), 'hex');
    let out = '';
    for (let i = 0; i < 13; i++) out += BASE32[(bytes[i] as number) % 32];
    return out;
  },
  guid: (args) => {
    const hex = hashHex(args);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${((parseInt(hex[16] as string, 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
  },
  equals: fixed(2, 2, ([a, b]) => JSON.stringify(a) === JSON.stringify(b) || (typeof a === 'string' && typeof b === 'string' && a === b)),
  not: fixed(1, 1, ([value]) => !value),
  empty: fixed(
    1,
    1,
    ([value]) =>
      value === null ||
      value === undefined ||
      value === '' ||
      (Array.isArray(value) ? value.length === 0 : typeof value === 'object' && Object.keys(value as object).length === 0),
  ),
  contains: fixed(2, 2, ([container, item]) => {
    if (typeof container === 'string') return container.toLowerCase().includes(str(item).toLowerCase());
    if (Array.isArray(container)) return container.some((entry) => JSON.stringify(entry) === JSON.stringify(item));
    return container !== null && typeof container === 'object' && findKey(container as Record<string, unknown>, str(item)) !== undefined;
  }),
  union: (args) =>
    args.every(Array.isArray)
      ? [...new Map((args as unknown[][]).flat().map((v) => [JSON.stringify(v), v])).values()]
      : Object.assign({}, ...(args as object[])),
  createobject: (args) => {
    const object: Record<string, unknown> = {};
    for (let i = 0; i + 1 < args.length; i += 2) object[str(args[i])] = args[i + 1];
    return object;
  },
  createarray: (args) => args,
  array: fixed(1, 1, ([value]) => (Array.isArray(value) ? value : [value])),
  string: fixed(1, 1, ([value]) => str(value)),
  int: fixed(1, 1, ([value], _s, text) => {
    const number = Number(value);
    if (!Number.isInteger(number)) throw new ConfigurationError(`Template expression "${text}": int() cannot convert "${str(value)}".`);
    return number;
  }),
  bool: fixed(1, 1, ([value]) => (typeof value === 'string' ? value.toLowerCase() === 'true' : Boolean(value))),
  json: fixed(1, 1, ([value], _s, text) => {
    try {
      return JSON.parse(str(value));
    } catch {
      throw new ConfigurationError(`Template expression "${text}": json() got text that is not JSON.`);
    }
  }),
  length: fixed(1, 1, ([value]) =>
    typeof value === 'string' || Array.isArray(value) ? value.length : Object.keys(value as object).length,
  ),
  greater: fixed(2, 2, ([a, b]) => (a as number) > (b as number)),
  greaterorequals: fixed(2, 2, ([a, b]) => (a as number) >= (b as number)),
  less: fixed(2, 2, ([a, b]) => (a as number) < (b as number)),
  lessorequals: fixed(2, 2, ([a, b]) => (a as number) <= (b as number)),
  add: fixed(2, 2, ([a, b]) => (a as number) + (b as number)),
  sub: fixed(2, 2, ([a, b]) => (a as number) - (b as number)),
  mul: fixed(2, 2, ([a, b]) => (a as number) * (b as number)),
  div: fixed(2, 2, ([a, b]) => Math.trunc((a as number) / (b as number))),
  mod: fixed(2, 2, ([a, b]) => (a as number) % (b as number)),
  min: (args) => Math.min(...(args.flat() as number[])),
  max: (args) => Math.max(...(args.flat() as number[])),
  split: fixed(2, 2, ([value, separator]) =>
    str(value).split(
      new RegExp(`[${(Array.isArray(separator) ? separator : [separator]).map((s) => str(s).replace(/[\\\]^-]/g, '\\$&')).join('')}]`),
    ),
  ),
  replace: fixed(3, 3, ([value, find, replacement]) => str(value).split(str(find)).join(str(replacement))),
  substring: fixed(1, 3, ([value, start, length]) => str(value).substr((start as number | undefined) ?? 0, length as number | undefined)),
  startswith: fixed(2, 2, ([value, prefix]) => str(value).toLowerCase().startsWith(str(prefix).toLowerCase())),
  endswith: fixed(2, 2, ([value, suffix]) => str(value).toLowerCase().endsWith(str(suffix).toLowerCase())),
  trim: fixed(1, 1, ([value]) => str(value).trim()),
  first: fixed(1, 1, ([value]) => (typeof value === 'string' ? value[0] : (value as unknown[])[0])),
  last: fixed(1, 1, ([value]) => (typeof value === 'string' ? value.slice(-1) : (value as unknown[]).at(-1))),
  take: fixed(2, 2, ([value, count]) => (value as string | unknown[]).slice(0, count as number)),
  skip: fixed(2, 2, ([value, count]) => (value as string | unknown[]).slice(count as number)),
  indexof: fixed(2, 2, ([value, item]) => str(value).toLowerCase().indexOf(str(item).toLowerCase())),
  padleft: fixed(2, 3, ([value, width, pad]) => str(value).padStart(width as number, (pad as string | undefined) ?? ' ')),
  base64: fixed(1, 1, ([value]) => Buffer.from(str(value)).toString('base64')),
  uri: fixed(2, 2, ([base, relative]) => new URL(str(relative), str(base)).toString()),
  range: fixed(2, 2, ([start, count]) => Array.from({ length: count as number }, (_, i) => (start as number) + i)),
};
