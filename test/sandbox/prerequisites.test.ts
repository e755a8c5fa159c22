/**
 * The system packages, installed as Playwright's `install --with-deps` does: with apt-get when this
 * process is root and has it, saying what and why; otherwise the exact command. Run against a PATH
 * of stand-ins: an `apt-get` that records what it is asked and "installs" a package by putting its
 * commands on that PATH.
 */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { dockerdUnavailable } from '../../sandbox/dockerd.js';
import { ensurePrerequisites, isStaticElf, missingPrerequisites, type Machine } from '../../sandbox/prerequisites.js';

/** The commands each package puts on PATH, as the stand-in apt-get installs them. */
const COMMANDS: Record<string, string[]> = { openssl: ['openssl'], git: ['git'], 'docker.io': ['dockerd', 'docker'], iproute2: ['ip'] };

let bin: string;
let log: string;
let said: string[];
const say = (line: string) => void said.push(line);

beforeEach(async () => {
  bin = await mkdtemp(join(tmpdir(), 'prerequisites-'));
  log = join(bin, 'apt.log');
  said = [];
});
afterEach(() => rm(bin, { recursive: true, force: true }));

async function put(command: string, body = 'exit 0'): Promise<void> {
  await writeFile(join(bin, command), `#!/bin/sh\n${body}\n`);
  await chmod(join(bin, command), 0o755);
}

/** An apt-get that records each call; `install` puts each package's commands in `bin`, unless `fails`. */
async function standInAptGet(fails?: string): Promise<void> {
  const installs = Object.entries(COMMANDS)
    .map(
      ([name, commands]) =>
        `  ${name}) ${commands.map((c) => `printf '#!/bin/sh\\n' > ${bin}/${c}; /bin/chmod +x ${bin}/${c}`).join('; ')} ;;`,
    )
    .join('\n');
  await put(
    'apt-get',
    [
      `echo "$DEBIAN_FRONTEND $*" >> ${log}`,
      fails ? `[ "$1" = install ] && { echo "${fails}" >&2; exit 100; }` : '',
      '[ "$1" = install ] || exit 0',
      'for package in "$@"; do case "$package" in',
      installs,
      'esac; done',
    ].join('\n'),
  );
}

const machine = (root: boolean): Machine => ({ path: bin, root, busybox: join(bin, 'busybox') });
const aptCalls = async () => (await readFile(log, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);

describe('as root with apt-get', () => {
  it('installs only what is missing, in one update and one install, saying each package and why', async () => {
    await put('openssl');
    await put('git');
    await standInAptGet();
    const outcome = ensurePrerequisites(['openssl', 'git', 'docker.io', 'iproute2'], say, machine(true));
    expect(outcome).toEqual({ missing: [] });
    expect(await aptCalls()).toEqual(['noninteractive update -qq', 'noninteractive install -y -qq docker.io iproute2']);
    expect(said[0]).toMatch(/^Installing with apt-get/);
    expect(said).toContain('  docker.io: builds, pushes and runs the images, on a docker daemon of the sandbox’s own');
    expect(said).toContain('  iproute2: gives that docker daemon a network bridge of its own');
    expect(said.at(-1)).toBe('Installed docker.io, iproute2.');
    expect(missingPrerequisites(['docker.io', 'iproute2'], machine(true))).toEqual([]);
  });

  it('runs no apt-get at all when nothing is missing', async () => {
    await put('openssl');
    await put('git');
    await standInAptGet();
    expect(ensurePrerequisites(['openssl', 'git'], say, machine(true))).toEqual({ missing: [] });
    expect(await aptCalls()).toEqual([]);
    expect(said).toEqual([]);
  });

  it('when apt-get fails: what is still missing, the command to run, and what apt-get said', async () => {
    await standInAptGet('E: Unable to locate package docker.io');
    const outcome = ensurePrerequisites(['docker.io'], say, machine(true));
    expect(outcome.missing).toEqual(['docker.io']);
    expect(outcome.reason).toContain('run: apt-get update && apt-get install -y docker.io');
    expect(outcome.reason).toContain('E: Unable to locate package docker.io');
  });
});

describe('when it cannot install', () => {
  it('not root: installs nothing and gives the exact command, with sudo, and why each package', async () => {
    await put('openssl');
    await standInAptGet();
    const outcome = ensurePrerequisites(['openssl', 'docker.io', 'iproute2'], say, machine(false));
    expect(outcome.missing).toEqual(['docker.io', 'iproute2']);
    expect(outcome.reason).toContain('run: sudo apt-get update && sudo apt-get install -y docker.io iproute2');
    expect(outcome.reason).toContain('iproute2 (gives that docker daemon a network bridge of its own)');
    expect(await aptCalls()).toEqual([]);
    expect(said).toEqual([]);
  });

  it('no apt-get: names the Debian packages for the system’s own package manager', () => {
    const outcome = ensurePrerequisites(['git'], say, machine(true));
    expect(outcome.missing).toEqual(['git']);
    expect(outcome.reason).toMatch(/^Not installed: git \(.*\)\. To install it, install it with this system's package manager/);
  });
});

/** A minimal ELF64 little-endian header with one program header of each given type. */
function elf(types: number[]): Buffer {
  const header = Buffer.alloc(64 + 56 * types.length);
  header.writeUInt32BE(0x7f454c46, 0);
  header[4] = 2;
  header[5] = 1;
  header.writeBigUInt64LE(64n, 0x20);
  header.writeUInt16LE(56, 0x36);
  header.writeUInt16LE(types.length, 0x38);
  types.forEach((type, index) => header.writeUInt32LE(type, 64 + index * 56));
  return header;
}

describe('busybox-static', () => {
  it('is there only when the busybox is a static executable: a dynamic one cannot run in a FROM scratch image', async () => {
    const PT_LOAD = 1;
    const PT_INTERP = 3;
    const busybox = join(bin, 'busybox');
    expect(missingPrerequisites(['busybox-static'], machine(true))).toEqual(['busybox-static']);
    await writeFile(busybox, elf([PT_LOAD, PT_INTERP, PT_LOAD]));
    expect(isStaticElf(busybox)).toBe(false);
    expect(missingPrerequisites(['busybox-static'], machine(true))).toEqual(['busybox-static']);
    await writeFile(busybox, elf([PT_LOAD, PT_LOAD]));
    expect(isStaticElf(busybox)).toBe(true);
    expect(missingPrerequisites(['busybox-static'], machine(true))).toEqual([]);
    // This Node is dynamically linked; a script is no ELF at all.
    expect(isStaticElf(process.execPath)).toBe(false);
    await writeFile(busybox, '#!/bin/sh\n');
    expect(isStaticElf(busybox)).toBe(false);
  });
});

describe('a docker daemon of the sandbox’s own', () => {
  it('needs docker.io and iproute2, and says the command that installs them', async () => {
    await put('ip');
    expect(dockerdUnavailable(machine(false), {})).toBe(
      'docker.io not installed (sudo apt-get update && sudo apt-get install -y docker.io)',
    );
  });

  it('needs root; a daemon already running (rootless, Docker Desktop) is named, with why it cannot stand in', async () => {
    for (const command of ['dockerd', 'docker', 'ip']) await put(command);
    expect(dockerdUnavailable(machine(true), {})).toBeUndefined();
    const why = dockerdUnavailable(machine(false), { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' });
    expect(why).toMatch(
      /^starting a docker daemon of its own needs root \(the daemon at unix:\/\/\/run\/user\/1000\/docker\.sock cannot stand in for it: /,
    );
    expect(why).toContain('not through the sandbox');
  });
});
