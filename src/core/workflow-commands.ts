import { randomBytes } from 'node:crypto';

/**
 * The Actions runner obeys any line of a step's output that reads as a workflow command
 * (`::set-output`, `::stop-commands`, the legacy `##[` form anywhere in a line; lines end at a bare
 * CR too). Text that came from a template, a config or Azure may hold one. This fences such text
 * between `::stop-commands::` and a random resume token, the runner's documented way to print
 * untrusted text; text that cannot hold a command is returned as it is.
 */
export function fenceWorkflowCommands(text: string): string {
  if (!/::|##\[/.test(text)) return text;
  const token = randomBytes(16).toString('hex');
  const body = text.endsWith('\n') ? text : `${text}\n`;
  return `::stop-commands::${token}\n${body}::${token}::${text.endsWith('\n') ? '\n' : ''}`;
}

/**
 * A JSON document the runner may read, made inert without changing what it means: JSON's syntax
 * never puts a line's first characters at `::` outside a string, and the legacy `##[` can only sit
 * inside a string, where `\u005b` is the same `[`.
 */
export function inertJson(json: string): string {
  return json.replaceAll('##[', '##\\u005b');
}

/**
 * A workflow command line with its data escaped as the runner unescapes it (`%`, CR, LF), the
 * same rule as @actions/core: `::add-mask::a%0Ab` would otherwise register `a`, LF, `b`.
 */
export function workflowCommand(command: string, data: string): string {
  return `::${command}::${data.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A')}`;
}
