/** Files the user names, read or written only inside the places they belong, never through a link out, a FIFO or a device. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confinedPath, readConfinedFile, writeConfinedFile } from '../../src/core/confined-file.js';

const base = mkdtempSync(join(tmpdir(), 'confined-'));
const [workspace, runnerTemp, outside] = [join(base, 'workspace'), join(base, 'runner-temp'), join(base, 'outside')];
beforeAll(async () => {
  for (const folder of [workspace, runnerTemp, outside]) await mkdir(folder);
  await writeFile(join(outside, 'secret.txt'), 'not yours');
  await symlink(outside, join(workspace, 'link-out'));
  await symlink(join(outside, 'secret.txt'), join(workspace, 'file-link'));
  execFileSync('mkfifo', [join(workspace, 'fifo')]);
});
afterAll(async () => rm(base, { recursive: true, force: true }));

describe('writeConfinedFile', () => {
  it('writes inside the workspace, making missing folders, and inside RUNNER_TEMP', async () => {
    const written = await writeConfinedFile('reports/new/gate.json', [workspace, runnerTemp], '{}');
    expect(await readFile(written, 'utf8')).toBe('{}');
    await writeConfinedFile(join(runnerTemp, 'gate.sarif'), [workspace, runnerTemp], 'x');
    expect(await readFile(join(runnerTemp, 'gate.sarif'), 'utf8')).toBe('x');
  });

  it.each([
    ['a path climbing out', '../outside/made/report.json'],
    ['an absolute path elsewhere', join(outside, 'report.json')],
    ['a folder that is a link out', 'link-out/report.json'],
    ['a folder under a link out that does not exist yet', 'link-out/new/deeper/report.json'],
  ])('refuses %s, and creates nothing', async (_what, path) => {
    await expect(writeConfinedFile(path, [workspace, runnerTemp], 'x')).rejects.toThrow(/is outside .*workspace and .*runner-temp/);
    expect(existsSync(join(outside, 'made'))).toBe(false);
    expect(existsSync(join(outside, 'report.json'))).toBe(false);
    expect(existsSync(join(outside, 'new'))).toBe(false);
  });

  it('refuses a file that is a link (even to a file it could write) and a FIFO, leaving the target alone', async () => {
    await expect(writeConfinedFile('file-link', [workspace], 'x')).rejects.toThrow(/is a symbolic link/);
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('not yours');
    await expect(writeConfinedFile('fifo', [workspace], 'x')).rejects.toThrow(/cannot be written|not a regular file/);
  });

  it('confinedPath checks without writing', async () => {
    expect(await confinedPath('a/b.json', [workspace])).toBe(join(workspace, 'a', 'b.json'));
    expect(existsSync(join(workspace, 'a'))).toBe(false);
  });
});

describe('readConfinedFile', () => {
  it('reads a regular file inside the root, up to the size allowed', async () => {
    await writeFile(join(workspace, 'baa.pdf'), 'signed');
    expect((await readConfinedFile('baa.pdf', workspace, 100)).toString()).toBe('signed');
    await expect(readConfinedFile('baa.pdf', workspace, 3)).rejects.toThrow(/more than the 3 allowed/);
  });

  it('refuses a path out, a link out, a FIFO and a device without reading them', async () => {
    await expect(readConfinedFile('../outside/secret.txt', workspace, 100)).rejects.toThrow(/outside the repository/);
    await expect(readConfinedFile('file-link', workspace, 100)).rejects.toThrow(/outside the repository/);
    await expect(readConfinedFile('fifo', workspace, 100)).rejects.toThrow(/not a regular file/);
    await expect(readConfinedFile('/dev/zero', '/', 100)).rejects.toThrow(/not a regular file/);
  });
});
