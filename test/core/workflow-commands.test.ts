/** A workflow command's data as the runner unescapes it: what the CLI registers with ::add-mask:: is the value itself. */
import { describe, expect, it } from 'vitest';
import { workflowCommand } from '../../src/core/workflow-commands.js';

/** The runner's unescaping of command data (ActionCommand.Unescape: %0D, %0A, %25, in that order). */
const unescape = (data: string) => data.replaceAll('%0D', '\r').replaceAll('%0A', '\n').replaceAll('%25', '%');

describe('workflowCommand', () => {
  it('escapes %, CR and LF so the runner reads back exactly the value, on one line', () => {
    for (const value of ['plain-token', 'a%0Ab', '100%', 'x%25y', 'line\r\nnext']) {
      const line = workflowCommand('add-mask', value);
      expect(line.startsWith('::add-mask::')).toBe(true);
      expect(/[\r\n]/.test(line)).toBe(false);
      expect(unescape(line.slice('::add-mask::'.length))).toBe(value);
    }
    expect(workflowCommand('add-mask', 'a%0Ab')).toBe('::add-mask::a%250Ab');
  });
});
