import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import type { Sandbox } from '../../sandbox/index.js';

/** A call to the sandbox's admin API over HTTPS, trusting its CA, as a user's script would make it. */
export function adminRequest(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(`${sandbox.adminUrl}${path}`, { method, ca: readFileSync(sandbox.caCert) }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as unknown) : undefined }));
    });
    outgoing.on('error', reject);
    outgoing.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** The traffic split of the sandbox's container app, as Resource Manager holds it. */
export function appTraffic(sandbox: Sandbox): unknown {
  const app = [...sandbox.server.arm.resources.values()].find((resource) => resource.type === 'Microsoft.App/containerApps');
  return (app?.properties as { configuration: { ingress: { traffic: unknown } } }).configuration.ingress.traffic;
}
