/** The sandbox ingress's hop to a replica: what it answers, and Envoy's 504 once the ingress's timeout has passed. */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forward } from '../../sandbox/apps/replica-http.js';

const hung: ServerResponse[] = [];
const replica = createServer((request, response) => {
  if (request.url === '/hang') return void hung.push(response);
  response.writeHead(201, { 'x-app': 'voice' }).end('created');
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => replica.listen(0, '127.0.0.1', resolve));
  port = (replica.address() as AddressInfo).port;
});
afterAll(async () => {
  for (const response of hung) response.destroy();
  await new Promise((resolve) => replica.close(resolve));
});

it('answers with what the replica said', async () => {
  const reply = await forward(port, 'POST', '/voice', {}, Buffer.from('a=b'));
  expect(reply).toMatchObject({ status: 201, headers: { 'x-app': 'voice' } });
  expect(String(reply.body)).toBe('created');
});

it('answers 504 upstream request timeout when the replica says nothing within the ingress timeout', async () => {
  const reply = await forward(port, 'GET', '/hang', {}, Buffer.alloc(0), 200);
  expect(reply).toEqual({ status: 504, body: 'upstream request timeout' });
});

it('answers 502 when nothing listens', async () => {
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const free = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  expect((await forward(free, 'GET', '/', {}, Buffer.alloc(0))).status).toBe(502);
});
