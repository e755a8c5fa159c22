/**
 * Build and push with a real docker daemon into the sandbox's Azure Container Registry, signed in
 * with the workflow's Entra identity: the production commands, answered by the sandbox.
 */
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { pushImage, type ImageRequest } from '../../src/deploy/image.js';
import { startDockerd, type Dockerd } from '../../sandbox/dockerd.js';
import { writeBusyboxApp } from '../../sandbox/busybox-app.js';
import { createRegistry } from '../helpers/images.js';
import { adminRequest } from '../helpers/sandbox-admin.js';

let sandbox: Sandbox;
let dockerd: Dockerd;
let workspace: string;
let env: NodeJS.ProcessEnv;
const REGISTRY = 'hipaaimageacr';

function request(overrides: Partial<ImageRequest> = {}, logger: Logger = silentLogger): ImageRequest {
  return {
    cwd: workspace,
    context: 'app',
    dockerfile: 'Dockerfile',
    buildArgs: {},
    labels: {},
    tags: [],
    registry: REGISTRY,
    repository: 'voice-agent',
    commit: '3f2c1a7e9b8d4c6f0a1e2d3c4b5a69788796a5b4',
    sourceUrl: 'https://github.com/example/voice-agent',
    tempDir: workspace,
    env: { ...env, ...dockerd.env },
    logger,
    ...overrides,
  };
}

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  env = { ...process.env, ...sandbox.env };
  await createRegistry(sandbox, REGISTRY, 'Enabled');
  dockerd = await startDockerd({ httpsProxy: sandbox.httpsProxy, caCert: sandbox.caCert });
  workspace = await mkdtemp(join(tmpdir(), 'image-workspace-'));
  await writeBusyboxApp(join(workspace, 'app'), 'ok\n');
}, 120_000);
afterAll(async () => {
  await dockerd?.stop();
  await sandbox?.stop();
  await rm(workspace, { recursive: true, force: true });
});

describe('pushImage', () => {
  it('builds, signs in with the Entra identity, pushes, and returns the registry’s digest; the docker config is gone afterwards', async () => {
    const pushed = await pushImage(request());
    expect(pushed.image).toMatch(new RegExp(`^${REGISTRY}\\.azurecr\\.io/voice-agent@sha256:[a-f0-9]{64}$`));
    expect(pushed.tags).toEqual([`${REGISTRY}.azurecr.io/voice-agent:3f2c1a7e9b8d4c6f0a1e2d3c4b5a69788796a5b4`]);
    const registry = (await adminRequest(sandbox, 'GET', `/registries/${REGISTRY}`)).body as {
      repositories: { name: string; tags: Record<string, string> }[];
      uploadedBytes: number;
    };
    expect(registry.repositories).toEqual([
      { name: 'voice-agent', tags: { '3f2c1a7e9b8d4c6f0a1e2d3c4b5a69788796a5b4': pushed.digest }, manifests: [pushed.digest] },
    ]);
    expect(registry.uploadedBytes).toBeGreaterThan(1_000_000);
    expect((await readdir(workspace)).filter((name) => name.startsWith('docker-config-'))).toEqual([]);

    // The same commit again: the same image, and not one layer uploaded.
    const again = await pushImage(request());
    expect(again.digest).toBe(pushed.digest);
    expect(((await adminRequest(sandbox, 'GET', `/registries/${REGISTRY}`)).body as { uploadedBytes: number }).uploadedBytes).toBe(
      registry.uploadedBytes,
    );

    // An image given by tag is resolved to that digest, without a build.
    const resolved = await pushImage(request({ image: `${REGISTRY}.azurecr.io/voice-agent:3f2c1a7e9b8d4c6f0a1e2d3c4b5a69788796a5b4` }));
    expect(resolved).toMatchObject({ image: pushed.image, digest: pushed.digest, tags: [] });
  }, 120_000);

  it('quotes the failing step of a broken Dockerfile, as the real builder printed it', async () => {
    await mkdir(join(workspace, 'broken'), { recursive: true });
    await writeFile(join(workspace, 'broken', 'Dockerfile'), 'FROM scratch\nCOPY missing.txt /app/\n');
    await expect(pushImage(request({ context: 'broken' }))).rejects.toThrow(
      /^docker build failed at Step 2\/\d+ : COPY missing\.txt \/app\/: .*missing\.txt/,
    );
  }, 60_000);

  it('names the AcrPush role, the identity and the registry when the identity may not push', async () => {
    await adminRequest(sandbox, 'PATCH', '/arm', { roles: ['Reader'] });
    try {
      const error = await pushImage(request()).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(
        new RegExp(
          `identity ${sandbox.server.identity.clientId} may not push to ${REGISTRY}\\.azurecr\\.io/voice-agent: grant it the 'AcrPush' role on the registry ${REGISTRY}`,
        ),
      );
    } finally {
      await adminRequest(sandbox, 'PATCH', '/arm', { roles: ['Contributor', 'Role Based Access Control Administrator'] });
    }
  }, 60_000);

  it('fails fast with what to do when the registry is private and this runner is outside its network', async () => {
    await createRegistry(sandbox, 'hipaaprivateacr', 'Disabled');
    const started = Date.now();
    const error = await pushImage(request({ registry: 'hipaaprivateacr' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /hipaaprivateacr\.azurecr\.io does not accept connections from this runner's network \(HTTP 403 DENIED\)/,
    );
    expect((error as Error).message).toMatch(/self-hosted runner inside the virtual network .*network\.mode: public/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);
});
