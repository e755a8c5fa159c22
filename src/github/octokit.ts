/**
 * Octokit for the CLI's GitHub calls. With AZURE_HIPAA_SANDBOX set, its requests go through the
 * sandbox's HTTP client (the one Twilio and the Azure SDKs use there): `https://api.github.com`
 * stays the URL, the sandbox answers on 127.0.0.1 under that host name with its own CA. Otherwise
 * Octokit uses its own fetch against GITHUB_API_URL (github.com's API when unset).
 */
import { createHttpHeaders, createPipelineRequest, type HttpClient } from '@azure/core-rest-pipeline';
import type { getOctokit } from '@actions/github';
import { azureHttpClient } from '../azure/credential.js';

export type Octokit = ReturnType<typeof getOctokit>;

/** The API the sandbox serves: a GITHUB_API_URL elsewhere cannot be reached through it. */
const GITHUB_API = 'https://api.github.com';

export async function githubClient(token: string, env: NodeJS.ProcessEnv): Promise<Octokit> {
  // Loaded only when asked for, as the gate does: the other commands do not pay for Octokit's start-up.
  const { getOctokit } = await import('@actions/github');
  if (env['AZURE_HIPAA_SANDBOX']) return getOctokit(token, { baseUrl: GITHUB_API, request: { fetch: fetchThrough(azureHttpClient(env)) } });
  return getOctokit(token, { baseUrl: (env['GITHUB_API_URL'] ?? GITHUB_API).replace(/\/+$/, '') });
}

/** A WHATWG fetch over an Azure pipeline HttpClient: what Octokit's `request.fetch` takes. */
export function fetchThrough(http: HttpClient): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const headers = createHttpHeaders();
    request.headers.forEach((value, name) => headers.set(name, value));
    const body = request.body ? await request.text() : undefined;
    const response = await http.sendRequest(
      createPipelineRequest({
        url: request.url,
        method: request.method as 'GET',
        headers,
        timeout: 30_000,
        ...(body !== undefined ? { body } : {}),
        ...(init?.signal ? { abortSignal: init.signal } : {}),
      }),
    );
    const responseHeaders = new Headers();
    for (const [name, value] of response.headers) responseHeaders.set(name, value);
    // A 204 or 304 has no body: Response refuses one.
    const empty = response.status === 204 || response.status === 304 || !response.bodyAsText;
    const answer = new Response(empty ? null : response.bodyAsText, { status: response.status, headers: responseHeaders });
    // Octokit reads the answer's URL (pagination does); a constructed Response has none.
    Object.defineProperty(answer, 'url', { value: request.url });
    return answer;
  };
}
