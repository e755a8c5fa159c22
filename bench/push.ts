/**
 * The push of a multi-layer image through deploy-container's path (an Entra token exchanged at the
 * sandbox's ACR, docker login, docker push over TLS through the proxy, the digest checked with the
 * registry) against a plain `docker push` of the same image to an unauthenticated registry reached
 * the same way: an Azure host name, the same TLS and CONNECT proxy, the same registry code, no
 * sign-in. Target: at most 1.1 times. Two more lines show what the transport costs: the
 * unauthenticated registry directly on 127.0.0.1 over HTTP and over TLS. The sandbox runs on its
 * own thread, as a real registry runs on other machines.
 * Needs dockerd (apt-get install -y docker.io). Run: npx tsx bench/push.ts
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { silentLogger } from '../src/core/logger.js';
import { DockerCli } from '../src/deploy/docker.js';
import { ACR_REFRESH_TOKEN_USER, RegistryClient } from '../src/deploy/registry.js';
import { startDockerd } from '../sandbox/dockerd.js';
import { createRegistry } from '../test/helpers/images.js';

const TARGET_RATIO = 1.1;
const TRIALS = 5;
const LAYERS = 4;
const LAYER_BYTES = 24 * 1024 * 1024;
const REGISTRY = 'hipaabenchacr';
const ANONYMOUS = 'hipaabenchanonacr';

const worker = new Worker(new URL('./push-sandbox.ts', import.meta.url), { execArgv: ['--import', 'tsx'] });
const sandbox = await new Promise<{
  env: Record<string, string>;
  httpsProxy: string;
  caCert: string;
  localRegistry: string;
  localTlsRegistry: string;
}>((resolve, reject) => {
  worker.once('message', resolve);
  worker.once('error', reject);
});
const { localRegistry, localTlsRegistry } = sandbox;
const work = await mkdtemp(join(tmpdir(), 'bench-push-'));
const dockerd = await startDockerd({ httpsProxy: sandbox.httpsProxy, caCert: sandbox.caCert });

try {
  await createRegistry(sandbox, REGISTRY, 'Enabled');
  await createRegistry(sandbox, ANONYMOUS, 'Enabled');
  const env = { ...process.env, ...sandbox.env, ...dockerd.env };
  const docker = await DockerCli.open(work, env, silentLogger);
  const times: Record<'ours' | 'same-way' | 'plain' | 'tls', number[]> = { ours: [], 'same-way': [], plain: [], tls: [] };
  for (let trial = 0; trial < TRIALS; trial++) {
    // A fresh image each trial, so every push uploads every layer.
    const context = join(work, `image-${trial}`);
    await mkdir(context);
    const lines = ['FROM scratch'];
    for (let layer = 0; layer < LAYERS; layer++) {
      await writeFile(join(context, `layer-${layer}.bin`), randomBytes(LAYER_BYTES));
      lines.push(`COPY layer-${layer}.bin /layer-${layer}.bin`);
    }
    await writeFile(join(context, 'Dockerfile'), `${lines.join('\n')}\n`);
    const tags = {
      ours: `${REGISTRY}.azurecr.io/bench:${trial}`,
      'same-way': `${ANONYMOUS}.azurecr.io/bench:${trial}`,
      plain: `${localRegistry}/bench:${trial}`,
      tls: `${localTlsRegistry}/bench:${trial}`,
    };
    await docker.build({ context, dockerfile: join(context, 'Dockerfile'), tags: Object.values(tags), labels: {}, buildArgs: {} });

    const push = {
      ours: async () => {
        const client = new RegistryClient(`${REGISTRY}.azurecr.io`, env);
        const session = await client.signIn('bench', 'pull,push', silentLogger);
        await docker.login(`${REGISTRY}.azurecr.io`, ACR_REFRESH_TOKEN_USER, session.refreshToken);
        const digest = await docker.push(tags.ours);
        if ((await client.manifestDigest(session, 'bench', String(trial))) !== digest) throw new Error('digest mismatch');
      },
      'same-way': () => docker.push(tags['same-way']),
      plain: () => docker.push(tags.plain),
      tls: () => docker.push(tags.tls),
    };
    // Rotate the order, so no side always gets the warmer caches.
    const order = (['ours', 'same-way', 'plain', 'tls'] as const).map(
      (_, index, all) => all[(index + trial) % all.length] as keyof typeof push,
    );
    for (const side of order) {
      const started = performance.now();
      await push[side]();
      times[side].push(performance.now() - started);
    }
  }
  await docker.dispose();
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
  const [ours, sameWay, plain, tls] = [median(times.ours), median(times['same-way']), median(times.plain), median(times.tls)];
  const ratio = ours / sameWay;
  console.log(`deploy-container push: ${LAYERS} layers of ${LAYER_BYTES / 1024 / 1024} MB (a FastAPI image's size), median of ${TRIALS}`);
  console.log(`  docker push to an unauthenticated registry reached the same way (Azure host, TLS, proxy): ${sameWay.toFixed(0)} ms`);
  console.log(`  deploy-container: Entra sign-in, docker login, push over TLS, digest checked: ${ours.toFixed(0)} ms`);
  console.log(`  ratio ${ratio.toFixed(2)} against a target of ${TARGET_RATIO} ${ratio <= TARGET_RATIO ? 'OK' : 'OVER TARGET'}`);
  console.log(
    `  transport, for reference: the unauthenticated registry on 127.0.0.1 over HTTP ${plain.toFixed(0)} ms, over TLS ${tls.toFixed(0)} ms`,
  );
} finally {
  await dockerd.stop();
  worker.postMessage('stop');
  await new Promise((resolve) => worker.once('exit', resolve));
  await rm(work, { recursive: true, force: true });
}
