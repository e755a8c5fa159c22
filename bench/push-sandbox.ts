/**
 * The sandbox for bench/push.ts, on a thread of its own: a real registry does its TLS and hashing
 * on other machines, so neither side of the comparison should pay for them on the bench's thread.
 * Also serves the baseline, the same registry code with no sign-in, over plain HTTP on 127.0.0.1.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { startSandbox } from '../sandbox/index.js';

const sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
/** The registry API with no sign-in, as a bare local registry answers; each server its own content. */
const anonymous = (name: string) => (request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const answer = sandbox.server.registries.handleAnonymously(name, {
      method: request.method ?? 'GET',
      url: new URL(request.url ?? '/', `http://${request.headers.host}`),
      headers: request.headers,
      body: Buffer.concat(chunks),
    });
    const body = Buffer.isBuffer(answer.body) ? answer.body : answer.body === undefined ? '' : JSON.stringify(answer.body);
    response.writeHead(answer.status, answer.headers);
    response.end(request.method === 'HEAD' ? undefined : body);
  });
};
const local = createServer(anonymous('benchplain'));
await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
// The same, over TLS with the sandbox's certificate (valid for 127.0.0.1): what TLS alone costs.
const folder = dirname(sandbox.caCert);
const localTls = createHttpsServer(
  { cert: readFileSync(join(folder, 'server.crt')), key: readFileSync(join(folder, 'server.key')) },
  anonymous('benchtls'),
);
await new Promise<void>((resolve) => localTls.listen(0, '127.0.0.1', resolve));
// The like-for-like baseline: a registry under an Azure host name, over the same TLS and proxy, without sign-in.
sandbox.server.registries.anonymous.add('hipaabenchanonacr');
parentPort?.postMessage({
  env: sandbox.env,
  httpsProxy: sandbox.httpsProxy,
  caCert: sandbox.caCert,
  localRegistry: `127.0.0.1:${(local.address() as AddressInfo).port}`,
  localTlsRegistry: `127.0.0.1:${(localTls.address() as AddressInfo).port}`,
});
parentPort?.once('message', () => {
  local.close();
  localTls.close();
  void sandbox.stop().then(() => process.exit(0));
});
