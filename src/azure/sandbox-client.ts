import { readFileSync } from 'node:fs';
import { request as httpsRequest, Agent } from 'node:https';
import { RestError, createHttpHeaders, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/** What AZURE_HIPAA_SANDBOX holds: where the local sandbox listens and the CA to trust. */
export interface SandboxDescriptor {
  port: number;
  caCert: string;
}

/** Azure's hosts the sandbox serves; Front Door endpoints (`<endpoint>-<hash>.z01.azurefd.net`) too: the app's address behind the edge. */
const SANDBOX_HOSTS =
  /^(login\.microsoftonline\.com|management\.azure\.com|api\.loganalytics\.io|api\.twilio\.com|api\.github\.com|[a-z0-9-]+\.vault\.azure\.net|[a-z0-9]+\.azurecr\.io|[a-z0-9.-]+\.azurecontainerapps\.io|[a-z0-9.-]+\.azurefd\.net)$/i;

/** Hosts that exist only while the sandbox has the resource behind them: a vault, a registry. */
const RESOURCE_HOSTS: [RegExp, string][] = [
  [/^([a-z0-9-]+)\.vault\.azure\.net$/i, 'vaults'],
  [/^([a-z0-9]+)\.azurecr\.io$/i, 'registries'],
];

/**
 * An HttpClient that sends Azure's own URLs (`https://<vault>.vault.azure.net/...`) to the
 * sandbox on 127.0.0.1, keeping the Azure host name for SNI and Host and verifying TLS against
 * the sandbox CA. App code and URLs stay exactly as they are for real Azure. A vault the
 * sandbox does not have fails like DNS does for a vault that does not exist: ENOTFOUND.
 */
export function sandboxHttpClient(descriptor: SandboxDescriptor): HttpClient {
  const agent = new Agent({ ca: readFileSync(descriptor.caCert), keepAlive: true });
  const known = new Set<string>();

  async function resourceExists(collection: string, name: string): Promise<boolean> {
    const key = `${collection}/${name}`;
    if (known.has(key)) return true;
    const status = await new Promise<number>((resolve, reject) => {
      const probe = httpsRequest(
        {
          host: '127.0.0.1',
          port: descriptor.port,
          path: `/_sandbox/${key}`,
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
    if (status === 200) known.add(key);
    return status === 200;
  }

  return {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const url = new URL(request.url);
      const [pattern, collection] = RESOURCE_HOSTS.find(([host]) => host.test(url.hostname)) ?? [];
      const name = pattern?.exec(url.hostname)?.[1]?.toLowerCase();
      if (!SANDBOX_HOSTS.test(url.hostname) || (collection && name && !(await resourceExists(collection, name)))) {
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
        // One long-lived cancellation signal rides on every request of a rollout; drop the listener when the request ends.
        const abort = () => outgoing.destroy(new Error('The operation was aborted.'));
        request.abortSignal?.addEventListener('abort', abort, { once: true });
        outgoing.on('close', () => request.abortSignal?.removeEventListener('abort', abort));
        if (body !== undefined) outgoing.write(body);
        outgoing.end();
      });
    },
  };
}
