// Bundles every action and the CLI with ncc. `--check` rebuilds in memory and fails when a
// committed bundle differs, so CI catches a stale dist/. Each bundle is made in a process of its own:
// ncc (webpack) keeps what it compiled for the life of the process, and five bundles in one ran out
// of heap.
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir, rm, writeFile, chmod } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ncc from '@vercel/ncc';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const targets = [
  ...['provision', 'migrate-secrets', 'deploy-container', 'hipaa-gate'].map((name) => ({
    entry: `actions/${name}/src/main.ts`,
    outDir: `actions/${name}/dist`,
  })),
  { entry: 'src/cli/main.ts', outDir: 'cli/dist', executable: true },
];

async function bundle({ entry, executable }) {
  const { code, assets } = await ncc(join(root, entry), {
    quiet: true,
    minify: false,
    sourceMap: false,
    license: 'licenses.txt',
    cache: false,
  });
  const files = new Map([['index.js', executable && !code.startsWith('#!') ? `#!/usr/bin/env node\n${code}` : code]]);
  for (const [name, asset] of Object.entries(assets)) files.set(name, asset.source);
  return files;
}

async function listFiles(dir, base = dir) {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files = [];
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(path, base)));
    else files.push(relative(base, path));
  }
  return files;
}

/** Builds (or checks) one target in this process; prints what is stale, one path per line, on stdout. */
async function one(target, check) {
  const started = Date.now();
  const files = await bundle(target);
  const outDir = join(root, target.outDir);
  if (check) {
    const onDisk = await listFiles(outDir);
    for (const name of new Set([...onDisk, ...files.keys()])) {
      const expected = files.get(name);
      const actual = await readFile(join(outDir, name)).catch(() => undefined);
      if (expected === undefined || actual === undefined || !Buffer.from(expected).equals(actual)) console.log(`${target.outDir}/${name}`);
    }
  } else {
    await rm(outDir, { recursive: true, force: true });
    for (const [name, source] of files) {
      const path = join(outDir, name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, source);
    }
    if (target.executable) await chmod(join(outDir, 'index.js'), 0o755);
  }
  console.error(`${check ? 'checked' : 'built'} ${target.outDir} (${Date.now() - started} ms)`);
}

async function main() {
  const check = process.argv.includes('--check');
  const only = process.argv.find((arg) => arg.startsWith('--target='))?.slice('--target='.length);
  if (only !== undefined) return one(targets[Number(only)], check);
  const stale = [];
  for (const index of targets.keys()) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), `--target=${index}`, ...(check ? ['--check'] : [])], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    if (child.status !== 0) {
      console.error(`bundling ${targets[index].entry} failed (exit ${child.status ?? child.signal})`);
      process.exit(1);
    }
    stale.push(...child.stdout.split('\n').filter(Boolean));
  }
  if (stale.length > 0) {
    console.error(`dist/ is stale; run \`npm run build\` and commit the result. Differs:\n  ${stale.join('\n  ')}`);
    process.exit(1);
  }
}

await main();
