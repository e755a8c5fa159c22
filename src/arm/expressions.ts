import { FUNCTIONS, LAZY_FUNCTIONS, type Evaluate } from './functions.js';
import {
  TemplateError,
  UnknownValue,
  containsUnknown,
  derivedPlaceholder,
  describe,
  findKey,
  firstUnknown,
  isUnknown,
  placeholderIn,
  unknownFromParameter,
} from './values.js';

export { TemplateError } from './values.js';

/**
 * ARM template expressions (`"[concat(parameters('a'), 'b')]"`), evaluated offline with ARM's own
 * semantics (Microsoft's documented examples are the conformance suite). What only Azure can know
 * at deploy time (`reference`, `list*`, `utcNow`, ...) becomes an UnknownValue, and anything
 * computed from an unknown is unknown too: the gate never guesses a value. A mistake in the
 * template itself (bad syntax, an undeclared parameter, a wrong argument) is a TemplateError,
 * which the resolver turns into an unknown value plus one `template.valid` finding.
 */

export type Node =
  | { kind: 'literal'; value: unknown }
  | { kind: 'call'; name: string; args: Node[] }
  | { kind: 'property'; target: Node; name: string }
  | { kind: 'index'; target: Node; index: Node };

/** What an expression can see: the template's parameters and variables, the deployment, copy loops, lambda variables. */
export interface ExpressionScope {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  copyIndex(loopName: string | undefined): number | undefined;
  /** A lambda's parameter (`lambdaVariables('x')`); set only inside a lambda. */
  lambdaVariable?(name: string): unknown;
  subscriptionId: string;
  tenantId: string;
  resourceGroup: string;
  location: string;
  deploymentName: string;
  /** The cloud deployed to (`AzureCloud`), when the caller knows it: environment() is unknown otherwise. */
  cloud?: string;
  /**
   * The value of `reference(target, apiVersion?, 'Full'?)`: a nested deployment's outputs, or at
   * deployment time (the sandbox) a resource's properties. Unknown when absent.
   */
  reference?(target: string, apiVersion: string | undefined, full: boolean, text: string): unknown;
  /** A user-defined function (`namespace.member(...)`, the template's `functions`; Bicep's `func` is namespace `__bicep`); undefined when none has the name. */
  userFunction?(name: string, args: unknown[], text: string): unknown;
}

/** ARM's limit on the characters of one expression; longer ones are refused. */
const MAX_EXPRESSION_LENGTH = 24_576;

/** Evaluates a template string: an expression when bracketed, else the literal (with `[[` unescaped). */
export function evaluateString(text: string, scope: ExpressionScope): unknown {
  if (!text.startsWith('[') || !text.endsWith(']')) return text;
  if (text.startsWith('[[')) return text.slice(1);
  if (text.length > MAX_EXPRESSION_LENGTH)
    throw new TemplateError(`The template expression is ${text.length} characters long; ARM allows ${MAX_EXPRESSION_LENGTH}.`);
  return evaluateNode(parseExpression(text.slice(1, -1)), scope, text);
}

export function isExpression(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith('[') && !value.startsWith('[[') && value.endsWith(']');
}

// ---------------------------------------------------------------- parsing

export function parseExpression(source: string): Node {
  let position = 0;
  const fail = (what: string): never => {
    throw new TemplateError(`The template language expression '${source}' is not valid: ${what} at position ${position + 1}.`);
  };
  const skipSpace = () => {
    while (position < source.length && /\s/.test(source[position] as string)) position++;
  };
  const parseValue = (depth: number): Node => {
    if (depth > 64) fail('expressions nested more than 64 deep');
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
            args.push(parseValue(depth + 1));
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
      else return fail(`'${name}' is neither a function call nor a literal`);
    } else {
      return fail(char === undefined ? 'an unexpected end' : `an unexpected '${char}'`);
    }
    for (;;) {
      skipSpace();
      if (source[position] === '.') {
        position++;
        const match = /^[A-Za-z_$][\w$]*/.exec(source.slice(position));
        if (!match) fail("a property name expected after '.'");
        position += (match as RegExpExecArray)[0].length;
        node = { kind: 'property', target: node, name: (match as RegExpExecArray)[0] };
      } else if (source[position] === '[') {
        position++;
        const index = parseValue(depth + 1);
        skipSpace();
        if (source[position] !== ']') fail("a missing ']'");
        position++;
        node = { kind: 'index', target: node, index };
      } else return node;
    }
  };
  const node = parseValue(0);
  skipSpace();
  if (position !== source.length) fail('unexpected text after the expression');
  return node;
}

// ---------------------------------------------------------------- evaluation

export function evaluateNode(node: Node, scope: ExpressionScope, text: string): unknown {
  switch (node.kind) {
    case 'literal':
      return node.value;
    case 'property':
    case 'index': {
      const target = evaluateNode(node.target, scope, text);
      const key = node.kind === 'property' ? node.name : evaluateNode(node.index, scope, text);
      if (isUnknown(target)) return target;
      if (isUnknown(key)) return key;
      if (target === null || typeof target !== 'object')
        throw new TemplateError(
          `The template language expression '${text}' is not valid: it reads '${String(key)}' of ${describe(target)}.`,
        );
      const found = Array.isArray(target) ? indexInto(target, key, text) : propertyOf(target as Record<string, unknown>, key, text);
      return found;
    }
    case 'call':
      return call(node, scope, text);
  }
}

function indexInto(array: unknown[], key: unknown, text: string): unknown {
  if (typeof key !== 'number' || !Number.isInteger(key))
    throw new TemplateError(`The template language expression '${text}' is not valid: an array is indexed with ${describe(key)}.`);
  if (key < 0 || key >= array.length)
    throw new TemplateError(
      `The template language expression '${text}' is not valid: the index ${key} is outside the array's ${array.length} item(s).`,
    );
  return array[key];
}

function propertyOf(object: Record<string, unknown>, key: unknown, text: string): unknown {
  const found = findKey(object, String(key));
  if (found === undefined)
    throw new TemplateError(`The template language expression '${text}' is not valid: the object has no property '${String(key)}'.`);
  return found;
}

/** Functions whose value only Azure knows, at deployment time. */
const DEPLOY_TIME_ONLY = new Set([
  'reference',
  'newguid',
  'utcnow',
  'pickzones',
  'managementgroup',
  'providers',
  'deployer',
  'getsecret',
  'managementgroupresourceid',
  'resourceinfo',
]);

/** Functions that make text from text: given a placeholder, their result is another (see derivedPlaceholder). */
const TEXT_FROM_TEXT = new Set(['substring', 'take', 'skip', 'replace', 'padleft', 'trim', 'base64', 'uricomponent', 'datauri']);

function call(node: Extract<Node, { kind: 'call' }>, scope: ExpressionScope, text: string): unknown {
  const evaluate: Evaluate = (arg, inner = scope) => evaluateNode(arg, inner, text);
  const name = node.name;
  const lazy = LAZY_FUNCTIONS[name];
  if (lazy) return lazy(node.args, evaluate, scope, text);
  if (name === 'reference' && scope.reference) {
    const args = node.args.map((arg) => evaluate(arg));
    const unknownArg = args.find(isUnknown);
    if (unknownArg) return unknownArg;
    const [target, apiVersion, full] = args;
    return scope.reference(
      String(target),
      apiVersion === undefined ? undefined : String(apiVersion),
      typeof full === 'string' && full.toLowerCase() === 'full',
      text,
    );
  }
  if (DEPLOY_TIME_ONLY.has(name) || name.startsWith('list')) return new UnknownValue(`${name}() is only known at deployment time`, text);
  if (name.includes('.') && scope.userFunction) {
    const args = node.args.map((arg) => evaluate(arg));
    const unknownArg = args.find(containsUnknown);
    if (unknownArg) return isUnknown(unknownArg) ? unknownArg : firstUnknown(unknownArg);
    const result = scope.userFunction(name, args, text);
    if (result !== undefined) return result;
  }
  const fn = FUNCTIONS[name];
  if (!fn) return new UnknownValue(`the function ${name}() is not evaluated offline`, text);
  const args = node.args.map((arg) => evaluate(arg));
  const unknownArg = fn.acceptsUnknowns ? args.find(isUnknown) : args.find(containsUnknown);
  if (unknownArg) return isUnknown(unknownArg) ? unknownArg : firstUnknown(unknownArg);
  if (!fn.keepsParameters) {
    const parameter = placeholderIn(args);
    if (parameter)
      return TEXT_FROM_TEXT.has(name) && typeof args[0] === 'string'
        ? derivedPlaceholder(parameter, name, args)
        : unknownFromParameter(parameter, text);
  }
  return fn.call(args, scope, text);
}
