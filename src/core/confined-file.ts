import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/** Why a confined read refused a file, in words that finish "the file ..." */
export class ConfinedReadError extends Error {
  override readonly name = 'ConfinedReadError';
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
    throw new ConfinedReadError('does not exist');
  }
  if (!isInside(await realpath(root), real)) throw new ConfinedReadError(`is outside the repository (${root}); keep it in the repository`);
  const handle = await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW).catch(() => {
    throw new ConfinedReadError('cannot be opened');
  });
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new ConfinedReadError('is not a regular file');
    if (stats.size > maxBytes) throw new ConfinedReadError(`is ${stats.size} bytes, more than the ${maxBytes} allowed`);
    const buffer = Buffer.alloc(stats.size);
    const { bytesRead } = await handle.read(buffer, 0, stats.size, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}
