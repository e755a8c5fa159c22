import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a service of the sandbox answers: a status, a body and headers, or a dropped connection. */
export interface Reply {
  status: number;
  /** A JSON value (sent as application/json), or text as it is. */
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
  const text =
    answer.body === undefined || method === 'HEAD' ? '' : typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
  response.writeHead(answer.status, {
    ...answer.headers,
    ...(text && typeof answer.body !== 'string' ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'x-ms-request-id': randomUUID(),
  });
  response.end(text);
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
