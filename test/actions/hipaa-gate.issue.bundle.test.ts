/**
 * The gate keeping one issue in step with its verdict (the nightly live gate), against a stand-in
 * for GitHub's issues API on 127.0.0.1: a failing verdict opens the issue, the next one updates it,
 * a passing one closes it with a comment, and an issue of the same title someone else opened is
 * never touched.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../actions/hipaa-gate/src/run.js';
import { JOB_TOKEN, recordedIO } from '../helpers/action-io.js';
import { runAction } from '../helpers/run-action.js';

interface Issue {
  number: number;
  title: string;
  body: string;
  state: 'open' | 'closed';
  labels: { name: string }[];
  comments: string[];
}

let server: Server;
let apiUrl: string;
let temp: string;
const issues: Issue[] = [];
const tokens: string[] = [];

beforeAll(async () => {
  temp = await mkdtemp(join(tmpdir(), 'gate-issue-'));
  server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
    request.on('end', (): void => {
      tokens.push(String(request.headers.authorization ?? ''));
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const json = (status: number, value: unknown): void =>
        void response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      const one = /^\/repos\/example\/voice-agent\/issues\/(\d+)(\/comments)?$/.exec(url.pathname);
      if (url.pathname === '/repos/example/voice-agent/issues' && request.method === 'GET') {
        const label = url.searchParams.get('labels');
        return json(
          200,
          issues.filter((issue) => issue.state === 'open' && issue.labels.some((item) => item.name === label)),
        );
      }
      if (url.pathname === '/repos/example/voice-agent/issues' && request.method === 'POST') {
        const issue: Issue = {
          number: issues.length + 1,
          title: String(body['title']),
          body: String(body['body']),
          state: 'open',
          labels: ((body['labels'] as string[] | undefined) ?? []).map((name) => ({ name })),
          comments: [],
        };
        issues.push(issue);
        return json(201, issue);
      }
      const issue = issues.find((candidate) => candidate.number === Number(one?.[1]));
      if (!issue) return json(404, { message: 'Not Found' });
      if (one?.[2] && request.method === 'POST') {
        issue.comments.push(String(body['body']));
        return json(201, { body: body['body'] });
      }
      if (request.method === 'PATCH') {
        Object.assign(
          issue,
          body['body'] !== undefined ? { body: body['body'] } : {},
          body['state'] !== undefined ? { state: body['state'] } : {},
        );
        return json(200, issue);
      }
      return json(405, { message: 'unexpected' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Someone's own issue with the same title and no label: never the gate's to change.
  issues.push({ number: 1, title: 'HIPAA gate fails', body: 'mine', state: 'open', labels: [], comments: [] });
});
afterAll(async () => {
  server?.close();
  await rm(temp, { recursive: true, force: true });
});

const gate = async (config: string) => {
  const io = recordedIO(
    'hipaa-gate',
    { config, issue: 'true', 'fail-on': 'never' },
    {
      RUNNER_TEMP: temp,
      GITHUB_API_URL: apiUrl,
      GITHUB_REPOSITORY: 'example/voice-agent',
      GITHUB_RUN_ID: '42',
    },
  );
  await run(io);
  return io;
};

describe('hipaa-gate issue: true', () => {
  it('opens one issue on a failing verdict, updates it on the next, closes it when the gate passes, and leaves others alone', async () => {
    // The built-in defaults fail baa.evidence; fail-on never keeps the step green, as a nightly gate that only reports.
    const first = await gate('');
    expect(first.failed).toBeUndefined();
    expect(first.lines).toContain('Issue "HIPAA gate fails": opened issue #2.');
    expect(issues[1]).toMatchObject({ title: 'HIPAA gate fails', state: 'open', labels: [{ name: 'azure-hipaa-gate' }] });
    expect(issues[1]?.body).toMatch(/baa\.evidence/);
    expect(issues[1]?.body).toMatch(/_Updated by \[this run\]\(https:\/\/github\.com\/example\/voice-agent\/actions\/runs\/42\)/);

    const second = await gate('');
    expect(second.lines).toContain('Issue "HIPAA gate fails": updated issue #2.');
    expect(issues.filter((issue) => issue.state === 'open')).toHaveLength(2);

    const passing = await gate('examples/azure-hipaa.yml');
    expect(passing.lines).toContain('Issue "HIPAA gate fails": closed issue #2.');
    expect(issues[1]).toMatchObject({
      state: 'closed',
      comments: ['The gate passes again ([run](https://github.com/example/voice-agent/actions/runs/42)).'],
    });
    expect(issues[0]).toMatchObject({ state: 'open', body: 'mine' });
    expect(new Set(tokens)).toEqual(new Set([`token ${JOB_TOKEN}`]));
  });

  it('works in the bundle the runner runs, where Octokit is a chunk loaded only for the issue', async () => {
    const run = await runAction('hipaa-gate', {
      inputs: { issue: 'true', 'fail-on': 'never', 'issue-title': 'Nightly gate fails', 'github-token': 'ghs_bundle-token' },
      env: { RUNNER_TEMP: temp, GITHUB_API_URL: apiUrl, GITHUB_REPOSITORY: 'example/voice-agent', GITHUB_RUN_ID: '43' },
    });
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Issue "Nightly gate fails": opened issue #\d+\./);
    expect(issues.find((issue) => issue.title === 'Nightly gate fails')?.state).toBe('open');
    expect(tokens.at(-1)).toBe('token ghs_bundle-token');
  });
});
