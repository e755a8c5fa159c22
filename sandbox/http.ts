import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a service of the sandbox answers: a status, a body and headers, or a dropped connection. */
export interface Reply {
  status: number;
  /** A JSON value (sent as application/json), text as it is, or bytes as they are. */
  body?: unknown;
  headers?: Record<string, string>;
}

export type Answer = Reply | 'reset';

export function reply(status: number, body?: unknown, headers: Record<string, string> = {}): Reply {
  return { status, ...(body !== undefined ? { body } : {}), headers };
}

/** Sends an answer with Azure's request id; JSON bodies with their content type, nothing for HEAD. */
export function send(response: ServerResponse, answer: Answer, method = 'GET'): void {
  if (answer === 'reset') return void response.socket?.destroy();
  const raw = Buffer.isBuffer(answer.body);
  const text =
    answer.body === undefined || method === 'HEAD'
      ? ''
      : raw || typeof answer.body === 'string'
        ? (answer.body as string | Buffer)
        : JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...answer.headers,
    ...(text.length > 0 && !raw && typeof answer.body !== 'string' ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'x-ms-request-id': randomUUID(),
  });
  response.end(text);
}

export async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
