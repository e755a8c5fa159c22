import { constants } from 'node:fs';
import { mkdir, open, realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';

/** Why a confined read or write refused a file, in words that finish "the file ..." */
export class ConfinedFileError extends Error {
  override readonly name = 'ConfinedFileError';
}

/** Whether `path` (already resolved) lies inside `root` (already resolved). */
export function isInside(root: string, path: string): boolean {
  const between = relative(root, path);
  return between === '' || (!between.startsWith(`..${sep}`) && between !== '..' && !isAbsolute(between));
}

/**
 * Reads a regular file that lies inside `root` after every symlink is followed, and is at most
 * `maxBytes` long. It opens without blocking and checks the opened file itself, so a FIFO, a
 * device such as /dev/zero, or a file swapped after the check is refused, never read.
 */
export async function readConfinedFile(path: string, root: string, maxBytes: number): Promise<Buffer> {
  let real: string;
  try {
    real = await realpath(resolve(root, path));
  } catch {
    throw new ConfinedFileError('does not exist');
  }
  if (!isInside(await realpath(root), real)) throw new ConfinedFileError(`is outside the repository (${root}); keep it in the repository`);
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW).catch(() => {
    throw new ConfinedFileError('cannot be opened');
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ConfinedFileError('is not a regular file');
    if (stats.size > maxBytes) throw new ConfinedFileError(`is ${stats.size} bytes, more than the ${maxBytes} allowed`);
    const buffer = Buffer.alloc(stats.size);
    const { bytesRead } = await handle.read(buffer, 0, stats.size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/**
 * Where `path` (relative to the first root) lies once every existing symlink on the way is
 * followed; refused unless that is inside one of `roots`. Checks without writing, so a caller can
 * refuse a bad path before it does anything else.
 */
export async function confinedPath(path: string, roots: readonly string[]): Promise<string> {
  const target = resolve(roots[0] as string, path);
  const realRoots = await Promise.all(roots.map((root) => realpath(root).catch(() => resolve(root))));
  let existing = dirname(target);
  const missing: string[] = [];
  for (;;) {
    const real = await realpath(existing).catch(() => undefined);
    if (real !== undefined) {
      existing = real;
      break;
    }
    missing.unshift(basename(existing));
    existing = dirname(existing);
  }
  const folder = join(existing, ...missing);
  if (!realRoots.some((root) => isInside(root, folder)))
    throw new ConfinedFileError(`is outside ${roots.join(' and ')}; write it inside ${roots.length > 1 ? 'one of them' : 'it'}`);
  return join(folder, basename(target));
}

/**
 * Writes `text` to `path` when `confinedPath` accepts it. The file itself may not be a symlink or
 * anything but a regular file: it is opened without following links and checked. Missing folders
 * are made, inside the root. Returns the path written.
 */
export async function writeConfinedFile(path: string, roots: readonly string[], text: string): Promise<string> {
  const file = await confinedPath(path, roots);
  await mkdir(dirname(file), { recursive: true });
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW | constants.O_NONBLOCK,
  ).catch((error: NodeJS.ErrnoException) => {
    throw new ConfinedFileError(
      error.code === 'ELOOP' ? 'is a symbolic link; give the path of a regular file' : `cannot be written (${error.code})`,
    );
  });
  try {
    if (!(await handle.stat()).isFile()) throw new ConfinedFileError('is not a regular file');
    await handle.writeFile(text);
  } finally {
    await handle.close();
  }
  return file;
}
