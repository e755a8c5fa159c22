/**
 * The pieces of a secret value the Actions runner must be told about to hide it. The runner masks
 * within one log line, so a multi-line value is registered line by line (lines end at LF, CRLF or
 * a bare CR, as the runner reads them), each trimmed. A line of only whitespace or punctuation
 * (`{`, `}`, `],`) is left out: registering it would hide that text in every later log line of the
 * job and protects nothing. Each piece appears once.
 */
export function maskPieces(value: string): string[] {
  const pieces = value
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim())
    .filter((line) => !/^[\s{}[\]().,:;"'`]*$/.test(line));
  return [...new Set(pieces)];
}
