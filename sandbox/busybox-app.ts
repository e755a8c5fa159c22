import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Debian's static busybox (package busybox-static): one binary that is a whole web server. */
export const BUSYBOX = '/bin/busybox';

/**
 * A tiny app's build context, FROM scratch out of local files (nothing can be pulled from Docker Hub
 * here): busybox's httpd on port 8000 serving `/health` with `healthBody`, in three layers. The
 * tests' and the rehearsal's stand-in for the voice agent.
 */
export async function writeBusyboxApp(dir: string, healthBody: string): Promise<void> {
  if (!existsSync(BUSYBOX))
    throw new Error(`${BUSYBOX} is missing: apt-get install -y busybox-static (npm test and npm run demo install it when run as root).`);
  await mkdir(join(dir, 'www'), { recursive: true });
  await copyFile(BUSYBOX, join(dir, 'busybox'));
  await writeFile(join(dir, 'www', 'health'), healthBody);
  await writeFile(join(dir, 'app.txt'), 'voice agent\n');
  await writeFile(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY www /www',
      'COPY app.txt /app.txt',
      'EXPOSE 8000',
      'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8000", "-h", "/www"]',
      '',
    ].join('\n'),
  );
}
