/**
 * Resource Manager's token goes to the Resource Manager endpoint in use and nowhere else, whatever
 * a response says to follow: a long-running operation's Location or Azure-AsyncOperation, a list's
 * nextLink. A fake ARM on 127.0.0.1 answers with addresses on another port of 127.0.0.1, whose
 * server records every request and its Authorization header.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createCertificates } from '../../sandbox/tls.js';
import { armPort, type ArmConnection } from '../../src/azure/arm.js';
import type { ArmPort } from '../../src/azure/arm-port.js';

const TOKEN = 'arm-token-of-this-test';
const SUBSCRIPTION = '00000000-0000-0000-0000-000000000001';
const GROUP = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg`;

interface Seen {
  method: string;
  path: string;
  authorization: string | undefined;
}

let dir: string;
let servers: Server[] = [];
let armOrigin: string;
let elsewhereOrigin: string;
const atArm: Seen[] = [];
const elsewhere: Seen[] = [];
let port: ArmPort;

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

async function listen(handler: (request: IncomingMessage, response: ServerResponse) => void, tls: { cert: string; key: string }) {
  const server = createServer(tls, (request, response) => {
    request.resume();
    request.on('end', () => handler(request, response));
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** What a fake ARM answers: each operation started here is to be polled on the other server (or, for `same-origin`, here). */
function fakeArm(request: IncomingMessage, response: ServerResponse): void {
  const url = new URL(request.url ?? '/', armOrigin);
  atArm.push({ method: request.method ?? '', path: url.pathname, authorization: request.headers.authorization });
  const away = `${elsewhereOrigin}/subscriptions/${SUBSCRIPTION}/providers/Microsoft.App/locations/eastus2/operations/op-1?api-version=2025-01-01`;
  if (request.method === 'PATCH' && url.pathname.endsWith('/containerApps/same-origin'))
    return json(response, 202, {}, { location: `${armOrigin}/subscriptions/${SUBSCRIPTION}/operations/op-2?api-version=2025-01-01` });
  if (request.method === 'GET' && url.pathname.endsWith('/operations/op-2')) return json(response, 200, {});
  if (request.method === 'PATCH') return json(response, 202, {}, { location: away, 'retry-after': '0' });
  if (request.method === 'PUT' && url.pathname.includes('/deployments/'))
    return json(
      response,
      201,
      { id: url.pathname, name: 'd1', properties: { provisioningState: 'Accepted' } },
      { 'azure-asyncoperation': away, 'retry-after': '0' },
    );
  if (request.method === 'GET' && url.pathname.includes('/deployments/'))
    return json(response, 200, { id: url.pathname, name: 'd1', properties: { provisioningState: 'Succeeded' } });
  if (request.method === 'POST' && url.pathname.endsWith('/validate'))
    return json(response, 202, {}, { location: away, 'retry-after': '0' });
  if (request.method === 'GET' && url.pathname.endsWith('/resources')) return json(response, 200, { value: [], nextLink: away });
  json(response, 404, { error: { code: 'NotFound', message: 'not in this fake' } });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'arm-origin-'));
  const certificates = createCertificates(dir);
  elsewhereOrigin = await listen((request, response) => {
    elsewhere.push({ method: request.method ?? '', path: request.url ?? '', authorization: request.headers.authorization });
    json(response, 200, { status: 'Succeeded', value: [] });
  }, certificates);
  armOrigin = await listen(fakeArm, certificates);
  const connection: ArmConnection = {
    endpoint: armOrigin,
    credential: { getToken: async () => ({ token: TOKEN, expiresOnTimestamp: Date.now() + 3_600_000 }) },
    clientOptions: { tlsOptions: { ca: certificates.caCert }, retryOptions: { maxRetries: 0 } },
  };
  port = armPort({}, SUBSCRIPTION, connection);
});
afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  servers = [];
  if (dir) await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  atArm.length = 0;
  elsewhere.length = 0;
});

/** The error a call was refused with, or `sent` when it went through. */
const refusal = (outcome: PromiseSettledResult<unknown>) =>
  outcome.status === 'rejected' ? (outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason)) : 'sent';

const REFUSED = /is not the Resource Manager endpoint in use \(https:\/\/127\.0\.0\.1:\d+\): its token goes nowhere else/;

describe('the ARM port sends its token only to the Resource Manager endpoint in use', () => {
  it('refuses to poll a Location on another host, as the rollout follows it, before sending anything', async () => {
    const started = await port.send('PATCH', `${GROUP}/providers/Microsoft.App/containerApps/voice-agent`, '2025-01-01', {
      properties: {},
    });
    expect(started.status).toBe(202);
    expect(atArm.map((seen) => seen.authorization)).toEqual([`Bearer ${TOKEN}`]);
    const location = started.headers['location'] as string;
    expect(new URL(location).origin).toBe(elsewhereOrigin);

    const polls = await Promise.allSettled([port.send('GET', location), port.get(location, '2025-01-01')]);
    expect(elsewhere.map((seen) => seen.authorization ?? 'no token')).toEqual([]);
    expect(polls.map(refusal)).toEqual([expect.stringMatching(REFUSED), expect.stringMatching(REFUSED)]);
  });

  it("refuses the SDK's own polling of a deployment's Azure-AsyncOperation and a validation's Location on another host", async () => {
    const deployment = { properties: { mode: 'Incremental' as const, template: {} } };
    const operations = await Promise.allSettled([port.startDeployment('rg', 'd1', deployment), port.validate('rg', 'd1', deployment)]);
    expect(elsewhere.map((seen) => seen.authorization ?? 'no token')).toEqual([]);
    expect(operations.map(refusal)).toEqual([expect.stringMatching(REFUSED), expect.stringMatching(REFUSED)]);
    expect(atArm.map((seen) => seen.method).sort()).toEqual(['POST', 'PUT']);
  });

  it("refuses a list's nextLink on another host", async () => {
    const [listed] = await Promise.allSettled([port.listResources('rg')]);
    expect(elsewhere.map((seen) => seen.authorization ?? 'no token')).toEqual([]);
    expect(refusal(listed as PromiseSettledResult<unknown>)).toMatch(REFUSED);
  });

  it('still follows an operation on the endpoint itself, with the token', async () => {
    const started = await port.send('PATCH', `${GROUP}/providers/Microsoft.App/containerApps/same-origin`, '2025-01-01', {
      properties: {},
    });
    const polled = await port.send('GET', started.headers['location'] as string);
    expect(polled.status).toBe(200);
    expect(atArm.map((seen) => `${seen.method} ${seen.authorization}`)).toEqual([`PATCH Bearer ${TOKEN}`, `GET Bearer ${TOKEN}`]);
  });
});
