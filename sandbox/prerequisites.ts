/**
 * The system packages the sandbox, the demo and the tests need, in one list (`.ci/run`, the tests'
 * global setup and the rehearsal all read it). Like Playwright's `install --with-deps`: what is
 * missing is installed with apt-get when this process is root and has it, saying what and why;
 * otherwise the caller gets the exact command to run, and stops or skips what needs it.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { BUSYBOX } from './busybox-app.js';

/** Where to look: the PATH, whether we are root, and the busybox the test images are built from. */
export interface Machine {
  path: string;
  root: boolean;
  busybox: string;
}

interface Prerequisite {
  why: string;
  installed(machine: Machine): boolean;
}

/** Each Debian package, why it is needed, and how to tell it is there without dpkg (docker-ce provides dockerd too). */
export const PREREQUISITES = {
  openssl: { why: 'the local Azure sandbox makes its CA and TLS certificate with it', installed: (m) => onPath(m, 'openssl') },
  git: { why: 'the gate reads the base commit with it; the workflow tests run real git repositories', installed: (m) => onPath(m, 'git') },
  curl: { why: "the workflow tests run the cutover's smoke-test step, which calls curl", installed: (m) => onPath(m, 'curl') },
  strace: { why: 'the action tests prove no secret reaches a file by tracing every open', installed: (m) => onPath(m, 'strace') },
  'docker.io': {
    why: 'builds, pushes and runs the images, on a docker daemon of the sandbox’s own',
    installed: (m) => onPath(m, 'dockerd') && onPath(m, 'docker'),
  },
  iproute2: { why: 'gives that docker daemon a network bridge of its own', installed: (m) => onPath(m, 'ip') },
  'busybox-static': {
    why: 'the one binary the demo’s and the tests’ images are built FROM scratch with (nothing is pulled from Docker Hub)',
    installed: (m) => isStaticElf(m.busybox),
  },
} satisfies Record<string, Prerequisite>;

export type PackageName = keyof typeof PREREQUISITES;

/** Who needs which packages. */
export const NEEDS = {
  /** The in-process tests (`npm run test:unit`): the sandbox without docker, and git repositories. */
  unitTests: ['openssl', 'git'],
  /** The whole suite. */
  tests: Object.keys(PREREQUISITES) as PackageName[],
  /** `azure-hipaa rehearse` (the demo adds busybox-static): the sandbox, and its docker daemon for the image and deploy phases. */
  rehearsal: ['openssl', 'docker.io', 'iproute2'],
} satisfies Record<string, PackageName[]>;

export interface Outcome {
  /** What is still missing after any install. */
  missing: PackageName[];
  /** When something is missing: what, and the exact command that installs it. */
  reason?: string;
}

/** This process's machine; the sbin directories are searched too, where dockerd is, though a user's PATH lacks them. */
export function thisMachine(): Machine {
  const path = [process.env['PATH'] ?? '/usr/bin:/bin', '/usr/local/sbin', '/usr/sbin', '/sbin'].join(delimiter);
  return { path, root: process.getuid?.() === 0, busybox: BUSYBOX };
}

export function missingPrerequisites(names: readonly PackageName[], machine: Machine = thisMachine()): PackageName[] {
  return [...new Set(names)].filter((name) => !PREREQUISITES[name].installed(machine));
}

/**
 * Installs what of `names` is missing when this process is root and has apt-get, saying each
 * package and why through `say`; returns what is still missing and the command that installs it.
 */
export function ensurePrerequisites(names: readonly PackageName[], say: (line: string) => void, machine = thisMachine()): Outcome {
  const missing = missingPrerequisites(names, machine);
  if (missing.length === 0) return { missing };
  const apt = onPath(machine, 'apt-get');
  if (!machine.root || !apt) return { missing, reason: notInstalled(missing, machine, apt) };
  say(`Installing with apt-get (this process is root; ${missing.length === 1 ? 'it is' : 'they are'} missing):`);
  for (const name of missing) say(`  ${name}: ${PREREQUISITES[name].why}`);
  // One update, then one install: the package lists of a fresh machine are empty.
  const updateFailed = aptGet(machine, ['update', '-qq']);
  const installFailed = aptGet(machine, ['install', '-y', '-qq', ...missing]);
  const still = missingPrerequisites(missing, machine);
  if (still.length === 0) {
    say(`Installed ${missing.join(', ')}.`);
    return { missing: still };
  }
  const output = installFailed ?? updateFailed ?? '';
  return {
    missing: still,
    reason: `${notInstalled(still, machine, apt)}\napt-get said:\n${output.trim().split('\n').slice(-15).join('\n')}`,
  };
}

/** The exact command that installs `missing`, for a person to run. */
export function installCommand(missing: readonly PackageName[], machine: Pick<Machine, 'root'> = thisMachine()): string {
  const sudo = machine.root ? '' : 'sudo ';
  return `${sudo}apt-get update && ${sudo}apt-get install -y ${missing.join(' ')}`;
}

function notInstalled(missing: readonly PackageName[], machine: Machine, apt: boolean): string {
  const what = missing.map((name) => `${name} (${PREREQUISITES[name].why})`).join('; ');
  const how = apt
    ? `run: ${installCommand(missing, machine)}`
    : `install ${missing.length === 1 ? 'it' : 'them'} with this system's package manager (these are the Debian package names)`;
  return `Not installed: ${what}. To install ${missing.length === 1 ? 'it' : 'them'}, ${how}`;
}

/** Runs apt-get non-interactively, its output captured; the output when it failed. */
function aptGet(machine: Machine, args: string[]): string | undefined {
  const run = spawnSync('apt-get', args, {
    env: { ...process.env, PATH: machine.path, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    timeout: 15 * 60_000,
  });
  return run.status === 0 ? undefined : `${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? run.error.message : ''}`;
}

function onPath(machine: Machine, command: string): boolean {
  return machine.path.split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Whether `file` is an ELF executable with no program interpreter: a binary that runs in a `FROM
 * scratch` image. Debian's plain `busybox` package installs a dynamic /bin/busybox, which does not.
 */
export function isStaticElf(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const header = Buffer.alloc(64);
    readSync(fd, header, 0, 64, 0);
    if (header.readUInt32BE(0) !== 0x7f454c46) return false;
    const is64 = header[4] === 2;
    const little = header[5] === 1;
    const u16 = (buffer: Buffer, at: number) => (little ? buffer.readUInt16LE(at) : buffer.readUInt16BE(at));
    const u32 = (buffer: Buffer, at: number) => (little ? buffer.readUInt32LE(at) : buffer.readUInt32BE(at));
    const tableAt = is64 ? Number(little ? header.readBigUInt64LE(0x20) : header.readBigUInt64BE(0x20)) : u32(header, 0x1c);
    const [entrySize, entries] = is64 ? [u16(header, 0x36), u16(header, 0x38)] : [u16(header, 0x2a), u16(header, 0x2c)];
    const table = Buffer.alloc(entrySize * entries);
    readSync(fd, table, 0, table.length, tableAt);
    const PT_INTERP = 3;
    for (let index = 0; index < entries; index++) if (u32(table, index * entrySize) === PT_INTERP) return false;
    return entries > 0;
  } finally {
    closeSync(fd);
  }
}
