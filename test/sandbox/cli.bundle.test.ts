/** `azure-hipaa sandbox up` as other tooling uses it: one JSON line when ready, a clean stop on SIGTERM. */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

it('prints exactly one JSON line with env, adminUrl and caCert, serves the admin API, and stops on SIGTERM', async () => {
  const child = spawn(
    process.execPath,
    [join(root, 'cli', 'dist', 'index.js'), 'sandbox', 'up', '--vaults', 'kv-a,kv-b', '--latency-ms', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no JSON line within 20 s; stdout so far: ${stdout}`)), 20_000);
    child.stdout.on('data', () => {
      if (stdout.includes('\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const ready = JSON.parse(stdout.trim()) as { env: Record<string, string>; adminUrl: string; caCert: string };
  expect(Object.keys(ready.env).sort()).toEqual([
    'AZURE_AUTHORITY_HOST',
    'AZURE_CLIENT_ID',
    'AZURE_CLIENT_SECRET',
    'AZURE_HIPAA_SANDBOX',
    'AZURE_SUBSCRIPTION_ID',
    'AZURE_TENANT_ID',
  ]);
  expect(ready.adminUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/_sandbox$/);

  const vault = await new Promise<{ name: string; secrets: unknown[] }>((resolve, reject) => {
    const get = request(`${ready.adminUrl}/vaults/kv-a`, { ca: readFileSync(ready.caCert) }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(JSON.parse(body) as { name: string; secrets: unknown[] }));
    });
    get.on('error', reject);
    get.end();
  });
  expect(vault).toMatchObject({ name: 'kv-a', secrets: [] });

  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code).toBe(0);
  expect(stdout.trim().split('\n')).toHaveLength(1);
  expect(existsSync(ready.caCert)).toBe(false);
}, 40_000);
