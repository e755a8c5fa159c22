/**
 * HTTP to one replica on 127.0.0.1: the probes Container Apps runs against it, and the ingress
 * forwarding a caller's request to it.
 */
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import type { Reply } from '../http.js';

export interface Probe {
  type: string;
  path?: string;
  port: number;
  periodMs: number;
  failureThreshold: number;
  timeoutMs: number;
}

/** One probe: an HTTP GET answered 200-399 within the timeout, or a TCP connection accepted. */
export function probeOnce(probe: Probe, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(false), probe.timeoutMs);
    const done = (ok: boolean) => {
      clearTimeout(timer);
      resolve(ok);
    };
    if (probe.path === undefined) {
      const socket = connect(port, '127.0.0.1', () => {
        socket.destroy();
        done(true);
      });
      socket.on('error', () => done(false));
      return;
    }
    const request = httpRequest({ host: '127.0.0.1', port, path: probe.path, method: 'GET' }, (response) => {
      response.resume();
      done((response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 400);
    });
    request.on('error', () => done(false));
    request.end();
  });
}

/** Container Apps' HTTP ingress ends a request after 240 s (Microsoft Learn, "Ingress in Azure Container Apps"). */
const INGRESS_TIMEOUT_MS = 240_000;

/** Forwards a request to a replica over HTTP on 127.0.0.1 and answers with what it said, or 504 as Envoy does after the ingress's timeout. */
export function forward(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
  timeoutMs = INGRESS_TIMEOUT_MS,
): Promise<Reply> {
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      { host: '127.0.0.1', port, path, method, headers: { ...headers, host: `127.0.0.1:${port}` } },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const responseHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(incoming.headers)) if (typeof value === 'string') responseHeaders[name] = value;
          delete responseHeaders['content-length'];
          delete responseHeaders['transfer-encoding'];
          delete responseHeaders['connection'];
          resolve({ status: incoming.statusCode ?? 502, body: Buffer.concat(chunks), headers: responseHeaders });
        });
      },
    );
    const timer = setTimeout(() => {
      resolve({ status: 504, body: 'upstream request timeout' });
      outgoing.destroy();
    }, timeoutMs);
    outgoing.on('close', () => clearTimeout(timer));
    outgoing.on('error', () =>
      resolve({ status: 502, body: 'upstream connect error or disconnect/reset before headers. reset reason: connection failure' }),
    );
    outgoing.end(body);
  });
}
