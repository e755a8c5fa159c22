/**
 * Build and push with a real docker daemon into the sandbox's Azure Container Registry, signed in
 * with the workflow's Entra identity: the production commands, answered by the sandbox. Secrets are
 * mounted by BuildKit and never reach the image; a cancelled job stops docker mid-build and
 * mid-push and leaves no docker config (with its registry token) behind.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../sandbox/index.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { silentLogger, type Logger } from '../../src/core/logger.js';
import { DockerCancelledError } from '../../src/deploy/docker.js';
import { pushImage, type ImageRequest } from '../../src/deploy/image.js';
import { startDockerd, type Dockerd } from '../../sandbox/dockerd.js';
import { writeBusyboxApp } from '../../sandbox/busybox-app.js';
import { armPort } from '../../src/azure/arm.js';
import { createRegistry } from '../helpers/images.js';
import { adminRequest } from '../helpers/sandbox-admin.js';

let sandbox: Sandbox;
let dockerd: Dockerd;
let workspace: string;
let env: NodeJS.ProcessEnv;
let relay: StallableRelay;
const REGISTRY = 'hipaaimageacr';
/** Debian's docker.io 20.10 client: BuildKit built in (the Docker 28 client here needs buildx for it). */
const DOCKER_20 = '/usr/bin/docker';

/**
 * A TCP relay between the daemon and the sandbox's HTTPS proxy that can stop passing bytes, so a
 * push hangs mid-upload as it would on a slow network.
 */
interface StallableRelay {
  url: string;
  stall(): void;
  /** Passes bytes again; connections that were stalled are closed. */
  resume(): void;
  close(): Promise<void>;
}

async function stallableRelay(target: string): Promise<StallableRelay> {
  const { hostname, port } = new URL(target);
  let stalled = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      sockets.add(from);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        sockets.delete(from);
        to.destroy();
      });
      from.on('data', (chunk) => void (stalled || to.write(chunk)));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    stall: () => void (stalled = true),
    resume: () => {
      if (stalled) for (const socket of sockets) socket.destroy();
      stalled = false;
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** Processes (docker children of pushImage) whose DOCKER_CONFIG is under `dir`. */
function processesWithConfigUnder(dir: string): number[] {
  const pids: number[] = [];
  for (const pid of readdirSyncSafe('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`DOCKER_CONFIG=${dir}/docker-config-`)) pids.push(Number(pid));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function readdirSyncSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Whether a build step's `busybox sleep 30` still runs, under either builder (BuildKit's are no docker containers). */
function sleepStepRuns(): boolean {
  return readdirSyncSafe('/proc').some((pid) => {
    try {
      return /^\d+$/.test(pid) && readFileSync(`/proc/${pid}/cmdline`, 'latin1') === '/bin/busybox\0sleep\x0030\0';
    } catch {
      return false;
    }
  });
}

function docker(args: string[], docker = DOCKER_20) {
  // Bounded: a synchronous call blocks the worker, and vitest's own timeout with it.
  return spawnSync(docker, args, {
    env: { ...process.env, ...dockerd.env },
    encoding: 'latin1',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 120_000,
  });
}

/** A logger that records warnings and calls `onLine` with every log line and group title. */
function watchingLogger(onLine: (line: string) => void = () => {}): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return {
    ...silentLogger,
    warnings,
    info: onLine,
    warning: (message) => void warnings.push(message),
    group: (title, fn) => {
      onLine(title);
      return fn();
    },
  };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return true;
}

function request(overrides: Partial<ImageRequest> = {}, logger: Logger = silentLogger): ImageRequest {
  return {
    cwd: workspace,
    context: 'app',
    dockerfile: 'Dockerfile',
    buildArgs: {},
    labels: {},
    tags: [],
    config: 'push.yml',
    pushTo: 'registry',
    repository: 'voice-agent',
    commit: '3f2c1a7e9b8d4c6f0a1e2d3c4b5a69788796a5b4',
    sourceUrl: 'https://github.com/example/voice-agent',
    tempDir: workspace,
    env: { ...env, ...dockerd.env },
    subscriptionId: env['AZURE_SUBSCRIPTION_ID'] as string,
    arm: armPort(env, env['AZURE_SUBSCRIPTION_ID'] as string),
    logger,
    ...overrides,
  };
}

/** A closed environment registry (trusted services allowed) and a public build registry in a group of its own. */
async function promotionScene(): Promise<void> {
  await createRegistry(sandbox, 'hipaapromoteacr', 'Disabled');
  await createRegistry(sandbox, 'hipaabuildacr', 'Enabled', 'build-rg');
  await writeConfig('promote.yml', 'hipaapromoteacr', { name: 'hipaabuildacr', resourceGroup: 'build-rg' });
}

/** A config whose environment registry (in images-rg) and build registry are these. */
async function writeConfig(file: string, registry: string, build?: { name: string; resourceGroup: string }): Promise<void> {
  const lines = ['resourceGroup: images-rg', 'registry:', `  name: ${registry}`];
  if (build) lines.push('  build:', `    name: ${build.name}`, `    resourceGroup: ${build.resourceGroup}`);
  await writeFile(join(workspace, file), `${lines.join('\n')}\n`);
}

beforeAll(async () => {
  sandbox = await startSandbox({ latencyMs: 0, armTimeScale: 0.001 });
  env = { ...process.env, ...sandbox.env };
  await createRegistry(sandbox, REGISTRY, 'Enabled');
  relay = await stallableRelay(sandbox.httpsProxy);
  dockerd = await startDockerd({ httpsProxy: relay.url, caCert: sandbox.caCert });
  workspace = await mkdtemp(join(tmpdir(), 'image-workspace-'));
  await writeBusyboxApp(join(workspace, 'app'), 'ok\n');
  await writeConfig('push.yml', REGISTRY);
  await writeConfig('promote.yml', 'hipaapromoteacr', { name: 'hipaabuildacr', resourceGroup: 'build-rg' });
}, 120_000);
afterAll(async () => {
  await dockerd?.stop();
  await relay?.close();
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
    await writeConfig('private.yml', 'hipaaprivateacr');
    const error = await pushImage(request({ config: 'private.yml' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toMatch(
      /hipaaprivateacr\.azurecr\.io does not accept connections from this runner's network \(HTTP 403 DENIED\)/,
    );
    expect((error as Error).message).toMatch(/build registry and promote by digest: name one in azure-hipaa\.yml \(registry\.build\)/);
    expect((error as Error).message).toMatch(/self-hosted runner.*network\.mode: public/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 60_000);

  it('promotes by digest: pushes to the build registry, imports repository@digest into the closed environment registry through Resource Manager', async () => {
    await promotionScene();
    const logger = watchingLogger();
    const lines: string[] = [];
    const pushed = await pushImage(
      request({ config: 'promote.yml', pushTo: 'auto' }, { ...logger, info: (line) => void lines.push(line) }),
    );
    expect(pushed.image).toMatch(/^hipaapromoteacr\.azurecr\.io\/voice-agent@sha256:[a-f0-9]{64}$/);
    expect(pushed.promotedFrom).toEqual({ image: `hipaabuildacr.azurecr.io/voice-agent@${pushed.digest}`, imported: true });
    expect(lines.join('\n')).toContain('through Resource Manager (importImage, source by resource id)');
    const target = (await adminRequest(sandbox, 'GET', '/registries/hipaapromoteacr')).body as {
      repositories: { name: string; tags: Record<string, string>; manifests: string[] }[];
      uploadedBytes: number;
    };
    // Imported, not pushed: the closed registry received no upload, and holds the digest under the commit's tag.
    expect(target.uploadedBytes).toBe(0);
    expect(target.repositories).toEqual([
      { name: 'voice-agent', tags: { '3f2c1a7e9b8d4c6f0a1e2d3c4b5a69788796a5b4': pushed.digest }, manifests: [pushed.digest] },
    ]);

    // What another environment tested, given by its build-registry tag: promoted without a build.
    const given = await pushImage(
      request({ config: 'promote.yml', image: 'hipaabuildacr.azurecr.io/voice-agent:3f2c1a7e9b8d4c6f0a1e2d3c4b5a69788796a5b4' }),
    );
    expect(given).toMatchObject({ image: pushed.image, digest: pushed.digest, tags: [], promotedFrom: { imported: true } });
  }, 120_000);

  it('refuses images and registries outside the environment before any network call', async () => {
    for (const overrides of [
      { image: `hipaaimageacr.azurecr.io/voice-agent@sha256:${'a'.repeat(64)}`, config: 'promote.yml' },
      { image: `attacker.azurecr.io/voice-agent:latest` },
      { registry: 'someoneelsesacr' },
    ]) {
      const error = await pushImage(request(overrides)).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toMatch(/not (in this environment's registries|one of this environment's registries)/);
    }
  });

  it('names the importer role and its scope when import is refused, and trusted services when the target denies them', async () => {
    await promotionScene();
    const roles = sandbox.server.arm.roles;
    // It may push to the build registry and read the group, but holds no role that imports.
    sandbox.server.arm.roles = ['Reader', 'AcrPush'];
    try {
      const error = await pushImage(request({ config: 'promote.yml', pushTo: 'auto' })).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain("lacks 'Container Registry Data Importer and Data Reader'");
      expect((error as Error).message).toContain('--scope /subscriptions/');
      expect((error as Error).message).toContain('/providers/Microsoft.ContainerRegistry/registries/hipaapromoteacr');
    } finally {
      sandbox.server.arm.roles = roles;
    }
    await createRegistry(sandbox, 'hipaanobypassacr', 'Disabled', 'images-rg', 'None');
    await writeConfig('nobypass.yml', 'hipaanobypassacr', { name: 'hipaabuildacr', resourceGroup: 'build-rg' });
    const error = await pushImage(request({ config: 'nobypass.yml', pushTo: 'auto' })).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigurationError);
    expect((error as Error).message).toContain('Set networkRuleBypassOptions to AzureServices');
  }, 120_000);

  it('mounts secrets with BuildKit: the build uses the value, and no trace of it is in the image, its history or its config', async () => {
    const value = `npm_made-up-${Date.now()}-value`;
    await mkdir(join(workspace, 'secret'), { recursive: true });
    await writeBusyboxApp(join(workspace, 'secret'), 'ok\n');
    await writeFile(
      join(workspace, 'secret', 'Dockerfile'),
      [
        'FROM scratch',
        'COPY busybox /bin/busybox',
        // Its hash, not the value: proof the build read it.
        'RUN --mount=type=secret,id=npm_token ["/bin/busybox", "sh", "-c", "/bin/busybox sha256sum /run/secrets/npm_token | /bin/busybox cut -c1-64 > /secret.sha"]',
        'ARG LOGIN_HINT',
        '',
      ].join('\n'),
    );
    const logger = watchingLogger();
    const pushed = await pushImage(
      request(
        {
          context: 'secret',
          commit: 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
          secrets: { npm_token: value },
          // A build arg whose value is a credential-named variable's: warned about, by name only.
          buildArgs: { LOGIN_HINT: 'ghp_made-up-in-env' },
          env: { ...env, ...dockerd.env, PATH: `/usr/bin:${process.env['PATH'] ?? ''}`, GH_PAT: 'ghp_made-up-in-env' },
        },
        logger,
      ),
    );
    expect(logger.warnings).toEqual([
      'Build arg LOGIN_HINT may be a credential (its value is the value of the environment variable GH_PAT): build args stay in the image (its history and provenance), where anyone who can pull it reads them. Pass credentials in "secrets" instead, and read them in a RUN --mount=type=secret,id=LOGIN_HINT step.',
    ]);
    const reference = pushed.tags[0] as string;
    const used = docker(['run', '--rm', '--network', 'none', reference, '/bin/busybox', 'cat', '/secret.sha']);
    expect(used.status, used.stderr).toBe(0);
    expect(used.stdout.trim()).toBe(createHash('sha256').update(value).digest('hex'));
    const history = docker(['history', '--no-trunc', reference]);
    const inspect = docker(['image', 'inspect', reference]);
    const saved = docker(['save', reference]);
    expect([history.status, inspect.status, saved.status]).toEqual([0, 0, 0]);
    expect(history.stdout).toContain('secret.sha');
    expect(saved.stdout.length).toBeGreaterThan(1_000_000);
    for (const text of [history.stdout, inspect.stdout, saved.stdout]) expect(text.includes(value)).toBe(false);
  }, 120_000);

  it.each([
    ['the legacy builder', undefined],
    ['BuildKit, with a secret', DOCKER_20],
  ])(
    'cancelled mid-build (%s): docker is stopped at once, the daemon stops the step, and no docker config is left',
    async (_builder, client) => {
      const tempDir = await mkdtemp(join(tmpdir(), 'image-cancel-'));
      await mkdir(join(workspace, 'slow'), { recursive: true });
      await writeBusyboxApp(join(workspace, 'slow'), 'ok\n');
      await writeFile(
        join(workspace, 'slow', 'Dockerfile'),
        `FROM scratch\nCOPY busybox /bin/busybox\nRUN ${client ? '--mount=type=secret,id=tok ' : ''}["/bin/busybox", "sleep", "30"]\n`,
      );
      const cancel = new AbortController();
      let abortedAt = 0;
      let stepRan = false;
      const logger = watchingLogger((line) => {
        if (abortedAt === 0 && /Running in [0-9a-f]+|\[\d+\/\d+\] RUN .*sleep/.test(line)) {
          abortedAt = Date.now();
          // Cancel once the step's process runs: the builder logs the step before its container has started,
          // and on a busy machine the start takes a while (a fixed second was not always enough).
          const startedBy = Date.now() + 20_000;
          const cancelOnceRunning = () => {
            stepRan = sleepStepRuns();
            if (!stepRan && Date.now() < startedBy) return void setTimeout(cancelOnceRunning, 100);
            abortedAt = Date.now();
            cancel.abort('SIGTERM');
          };
          setTimeout(cancelOnceRunning, 100);
        }
      });
      const error = await pushImage(
        request(
          {
            context: 'slow',
            tempDir,
            signal: cancel.signal,
            ...(client
              ? { secrets: { tok: 'made-up-secret' }, env: { ...env, ...dockerd.env, PATH: `/usr/bin:${process.env['PATH'] ?? ''}` } }
              : {}),
          },
          logger,
        ),
      ).catch((caught: unknown) => caught);
      expect(abortedAt).toBeGreaterThan(0);
      expect(stepRan, `the build ended before its step ran: ${String(error)}`).toBe(true);
      expect(error).toBeInstanceOf(DockerCancelledError);
      expect((error as Error).message).toBe('docker build was stopped: the workflow run was cancelled.');
      expect(Date.now() - abortedAt).toBeLessThan(10_000);
      expect(processesWithConfigUnder(tempDir)).toEqual([]);
      expect(await readdir(tempDir)).toEqual([]);
      // The daemon ends the step when the client goes, long before the 30 s sleep would.
      expect(await until(() => !sleepStepRuns() && docker(['ps', '--quiet']).stdout.trim() === '', 15_000)).toBe(true);
      await rm(tempDir, { recursive: true, force: true });
    },
    90_000,
  );

  it('cancelled mid-push: docker is stopped at once, and the docker config holding the registry token is gone', async () => {
    const tempDir = await mkdtemp(join(tmpdir(), 'image-cancel-push-'));
    const cancel = new AbortController();
    let abortedAt = 0;
    let configDuringPush: string[] = [];
    const logger = watchingLogger((line) => {
      // docker login is done: the registry's answers stop, so the push hangs mid-upload.
      if (line.startsWith('Push to ')) relay.stall();
      if (abortedAt === 0 && /The push refers to repository/.test(line)) {
        abortedAt = Date.now();
        setTimeout(() => {
          configDuringPush = readdirSyncSafe(tempDir).flatMap((dir) => readdirSyncSafe(join(tempDir, dir)));
          cancel.abort('SIGINT');
        }, 1_000);
      }
    });
    try {
      const error = await pushImage(
        request({ commit: 'f0e1d2c3b4a5968778695a4b3c2d1e0f98765432', tags: ['cancelled'], tempDir, signal: cancel.signal }, logger),
      ).catch((caught: unknown) => caught);
      expect(abortedAt).toBeGreaterThan(0);
      expect(configDuringPush).toContain('config.json');
      expect(error).toBeInstanceOf(DockerCancelledError);
      expect((error as Error).message).toBe('docker push was stopped: the workflow run was cancelled.');
      expect(Date.now() - abortedAt).toBeLessThan(10_000);
      expect(processesWithConfigUnder(tempDir)).toEqual([]);
      expect(await readdir(tempDir)).toEqual([]);
    } finally {
      relay.resume();
      await rm(tempDir, { recursive: true, force: true });
    }
  }, 90_000);
});
