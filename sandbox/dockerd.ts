/**
 * A docker daemon of the sandbox's own (for the image tests and the rehearsal): its own data root,
 * exec root, socket, pidfile and bridge under a temporary directory, stopped by its pid. It reaches
 * Azure hosts only through the sandbox's HTTPS proxy on 127.0.0.1 and trusts the sandbox CA besides
 * the system's, so `docker push <name>.azurecr.io/...` is the production command, answered by the
 * sandbox. Starting one needs root, dockerd and iproute2.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installCommand, missingPrerequisites, thisMachine, type Machine } from './prerequisites.js';

export interface Dockerd {
  /** DOCKER_HOST for the docker CLI. */
  env: { DOCKER_HOST: string };
  pid: number;
  stop(): Promise<void>;
}

export interface DockerdOptions {
  /** `http://127.0.0.1:<port>`: the proxy every registry connection goes through. */
  httpsProxy: string;
  /** A CA certificate to trust besides the system's. */
  caCert: string;
}

const SYSTEM_CAS = '/etc/ssl/certs/ca-certificates.crt';

function which(command: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
  if (!found)
    throw new Error(
      `${command} is not installed: the image tests need a real docker daemon (\`apt-get install -y docker.io\`; \`npm test\` installs it when run as root).`,
    );
  return found;
}

/** Why this machine cannot start a daemon of its own, or undefined when it can. */
export function dockerdUnavailable(machine: Machine = thisMachine(), env: NodeJS.ProcessEnv = process.env): string | undefined {
  const missing = missingPrerequisites(['docker.io', 'iproute2'], machine);
  if (missing.length > 0) return `${missing.join(' and ')} not installed (${installCommand(missing, machine)})`;
  if (!machine.root) return `starting a docker daemon of its own needs root${runningDaemonNote(env)}`;
  return undefined;
}

/**
 * Why a daemon that is already running (Docker Desktop, rootless docker, the system's) is not used:
 * the sandbox's registries have Azure's real names, `<name>.azurecr.io`, which DNS sends to Azure.
 * A daemon reaches the sandbox's instead only through the sandbox's HTTPS proxy on 127.0.0.1 and
 * trusting its CA; a daemon takes its proxy from its environment or daemon.json when it starts, so
 * a running one would push to Azure itself, and Desktop's and rootless daemons cannot reach this
 * machine's 127.0.0.1 at all.
 */
function runningDaemonNote(env: NodeJS.ProcessEnv): string {
  const host = env['DOCKER_HOST'] || (existsSync('/var/run/docker.sock') ? 'unix:///var/run/docker.sock' : undefined);
  return host
    ? ` (the daemon at ${host} cannot stand in for it: a running daemon sends pushes for <name>.azurecr.io to Azure, not through the sandbox's proxy; see sandbox/README.md)`
    : '';
}

export async function startDockerd(options: DockerdOptions): Promise<Dockerd> {
  const dockerd = which('dockerd');
  which('docker');
  const root = await mkdtemp(join(tmpdir(), 'dockerd-'));
  const socket = join(root, 'docker.sock');
  const pidfile = join(root, 'docker.pid');
  const caBundle = join(root, 'ca-bundle.pem');
  await writeFile(caBundle, `${readFileSync(options.caCert, 'utf8')}\n${existsSync(SYSTEM_CAS) ? readFileSync(SYSTEM_CAS, 'utf8') : ''}`);
  const bridge = await createBridge();
  const log: string[] = [];
  const child = spawn(
    dockerd,
    [
      '--data-root',
      join(root, 'data'),
      '--exec-root',
      join(root, 'exec'),
      '--host',
      `unix://${socket}`,
      '--pidfile',
      pidfile,
      '--storage-driver',
      'vfs',
      // A bridge of its own, so daemons of parallel test files never meet; published ports go through
      // docker's userland proxy on 127.0.0.1, so the host's firewall rules are never touched.
      '--bridge',
      bridge,
      '--iptables=false',
      '--ip6tables=false',
    ],
    {
      env: {
        PATH: process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin',
        HTTPS_PROXY: options.httpsProxy,
        NO_PROXY: '',
        // Go reads the trusted roots from here: the sandbox CA for *.azurecr.io, the system's for the rest.
        SSL_CERT_FILE: caBundle,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const env = { DOCKER_HOST: `unix://${socket}` };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`dockerd exited with ${child.exitCode}:\n${log.join('').slice(-3000)}`);
    // Bounded: a synchronous call that never returns would block this process, test timeouts included.
    const ping = spawnSync('docker', ['version', '--format', '{{.Server.Version}}'], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (ping.status === 0) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`dockerd did not answer on ${socket} within 60 s:\n${log.join('').slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const pid = Number((await readFile(pidfile, 'utf8')).trim());
  return {
    env,
    pid,
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const stopBy = Date.now() + 20_000;
      while (isRunning(pid) && Date.now() < stopBy) await new Promise((resolve) => setTimeout(resolve, 100));
      if (isRunning(pid)) process.kill(pid, 'SIGKILL');
      spawnSync('ip', ['link', 'delete', bridge], { timeout: 10_000 });
      await rm(root, { recursive: true, force: true, maxRetries: 3 });
    },
  };
}

/** A Linux bridge with a /24 no route on this machine uses yet. */
async function createBridge(): Promise<string> {
  which('ip');
  const routes = spawnSync('ip', ['-4', 'route'], { encoding: 'utf8', timeout: 10_000 }).stdout;
  for (let attempt = 0; attempt < 20; attempt++) {
    const [second, third] = [100 + Math.floor(Math.random() * 150), Math.floor(Math.random() * 250)];
    if (routes.includes(`10.${second}.${third}.`)) continue;
    const name = `hh${Math.random().toString(16).slice(2, 10)}`;
    const steps = [
      ['link', 'add', 'name', name, 'type', 'bridge'],
      ['addr', 'add', `10.${second}.${third}.1/24`, 'dev', name],
      ['link', 'set', name, 'up'],
    ];
    for (const step of steps) {
      const result = spawnSync('ip', step, { encoding: 'utf8', timeout: 10_000 });
      if (result.status !== 0)
        throw new Error(`ip ${step.join(' ')} failed (the image tests need root to give their daemon a bridge): ${result.stderr}`);
    }
    return name;
  }
  throw new Error('no free 10.x.y.0/24 for a test bridge');
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
