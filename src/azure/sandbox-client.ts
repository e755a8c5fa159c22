import { readFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { RestError, createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/** What AZURE_HIPAA_SANDBOX holds: where the local sandbox listens and the CA to trust. */
export interface SandboxDescriptor {
  port: number;
  caCert: string;
}

const SANDBOX_HOSTS = /^(login\.microsoftonline\.com|management\.azure\.com|[a-z0-9-]+\.vault\.azure\.net)$/i;

/**
 * An HttpClient that sends Azure's own URLs (`https://<vault>.vault.azure.net/...`) to the
 * sandbox on 127.0.0.1, keeping the Azure host name for SNI and Host and verifying TLS against
 * the sandbox CA. App code and URLs stay exactly as they are for real Azure. A vault the
 * sandbox does not have fails like DNS does for a vault that does not exist: ENOTFOUND.
 */
export function sandboxHttpClient(descriptor: SandboxDescriptor): HttpClient {
  const agent = new Agent({ ca: readFileSync(descriptor.caCert), keepAlive: true });
  const knownVaults = new Set<string>();

  async function vaultExists(name: string): Promise<boolean> {
    if (knownVaults.has(name)) return true;
    const status = await new Promise<number>((resolve, reject) => {
      const probe = httpsRequest(
        {
          host: '127.0.0.1',
          port: descriptor.port,
          path: `/_sandbox/vaults/${name}`,
          servername: 'localhost',
          agent,
          headers: { host: 'localhost' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      probe.on('error', reject);
      probe.end();
    });
    if (status === 200) knownVaults.add(name);
    return status === 200;
  }

  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const url = new URL(request.url);
      const vault = /^([a-z0-9-]+)\.vault\.azure\.net$/i.exec(url.hostname)?.[1]?.toLowerCase();
      if (!SANDBOX_HOSTS.test(url.hostname) || (vault && !(await vaultExists(vault)))) {
        throw new RestError(`getaddrinfo ENOTFOUND ${url.hostname}`, { code: 'ENOTFOUND', request });
      }
      const body =
        typeof request.body === 'string' || Buffer.isBuffer(request.body)
          ? request.body
          : request.body === undefined || request.body === null
            ? undefined
            : String(request.body);
      return new Promise<PipelineResponse>((resolve, reject) => {
        const outgoing = httpsRequest(
          {
            host: '127.0.0.1',
            port: descriptor.port,
            method: request.method,
            path: `${url.pathname}${url.search}`,
            servername: url.hostname,
            agent,
            headers: { ...request.headers.toJSON(), host: url.hostname },
          },
          (incoming) => {
            const chunks: Buffer[] = [];
            incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
            incoming.on('end', () => {
              const headers = createHttpHeaders();
              for (const [name, value] of Object.entries(incoming.headers))
                if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
              resolve({ request, status: incoming.statusCode ?? 0, headers, bodyAsText: Buffer.concat(chunks).toString('utf8') });
            });
            incoming.on('error', (error) => reject(new RestError(error.message, { code: 'ECONNRESET', request })));
          },
        );
        outgoing.on('error', (error: NodeJS.ErrnoException) =>
          reject(new RestError(error.message, { code: error.code ?? 'ECONNRESET', request })),
        );
        request.abortSignal?.addEventListener('abort', () => outgoing.destroy(new Error('The operation was aborted.')));
        if (body !== undefined) outgoing.write(body);
        outgoing.end();
      });
    },
  };
}
