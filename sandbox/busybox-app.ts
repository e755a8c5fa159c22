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

/** How a canary app's `/cgi-bin/work` answers: always 200, a 500 every 5th request, or 200 after a second. */
export type WorkBehaviour = 'ok' | 'fails-every-5th' | 'slow';

const WORK_SCRIPTS: Record<WorkBehaviour, string> = {
  ok: "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'",
  // busybox httpd passes a CGI answer that starts with HTTP/ through as it is: the way to give a status.
  'fails-every-5th': [
    'n=$(/bin/busybox cat /tmp/n 2>/dev/null || echo 0)',
    'n=$((n + 1))',
    'echo "$n" > /tmp/n',
    "if [ $((n % 5)) -eq 0 ]; then printf 'HTTP/1.0 500 Internal Server Error\\r\\nContent-Type: text/plain\\r\\n\\r\\nfailed\\n'; exit 0; fi",
    "printf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'",
  ].join('\n'),
  slow: "/bin/busybox usleep 1000000\nprintf 'Content-Type: text/plain\\r\\n\\r\\nok\\n'",
};

/**
 * A busybox app (see writeBusyboxApp) whose `/cgi-bin/work` behaves as asked, with a writable
 * /tmp: the candidates and the baseline of the canary analysis's tests. `/health` always answers,
 * so each of them passes the rollout's probes and only its traffic tells them apart.
 */
export async function writeCanaryApp(dir: string, healthBody: string, behaviour: WorkBehaviour): Promise<void> {
  await writeBusyboxApp(dir, healthBody);
  await mkdir(join(dir, 'www', 'cgi-bin'), { recursive: true });
  await mkdir(join(dir, 'tmp'), { recursive: true });
  await writeFile(join(dir, 'tmp', '.keep'), '');
  await writeFile(join(dir, 'www', 'cgi-bin', 'work'), `#!/bin/busybox sh\n${WORK_SCRIPTS[behaviour]}\n`, { mode: 0o755 });
  await writeFile(
    join(dir, 'Dockerfile'),
    [
      'FROM scratch',
      'COPY busybox /bin/busybox',
      'COPY www /www',
      'COPY tmp /tmp',
      'COPY app.txt /app.txt',
      'EXPOSE 8000',
      'ENTRYPOINT ["/bin/busybox", "httpd", "-f", "-p", "8000", "-h", "/www"]',
      '',
    ].join('\n'),
  );
}
