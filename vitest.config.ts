import { defineConfig, configDefaults, type Plugin } from 'vitest/config';

/**
 * Tests that run outside this process, told by their suffix: `*.integration.test.ts` start a docker
 * daemon of their own, run workflow steps in bash or other child processes (or are slow against the
 * sandbox); `*.bundle.test.ts` run a bundled action or the CLI (`dist/index.js`, built by
 * `npm run build`) in a child process. Everything else, `*.test.ts`, runs in process: the unit
 * project, the contributor's fast loop (`npm run test:unit`); test/lint/projects.test.ts holds the
 * layout to that.
 */
export const OUT_OF_PROCESS = ['**/*.integration.test.ts', '**/*.bundle.test.ts'];

const INCLUDE = ['test/**/*.test.ts', 'sandbox/**/*.test.ts'];

/**
 * Vite warns, once per file, that @actions/workflow-parser's sourcemaps (inlined below) name sources the
 * package does not ship: 140 lines of noise in every run, which buried the lines that mattered in CI.
 */
function quietDependencySourcemaps(): Plugin {
  return {
    name: 'quiet-dependency-sourcemaps',
    configResolved(config) {
      const warnOnce = config.logger.warnOnce.bind(config.logger);
      config.logger.warnOnce = (message, options) => {
        if (!/^Sourcemap for ".*[\\/]node_modules[\\/].*" points to missing source files$/.test(message)) warnOnce(message, options);
      };
    },
  };
}

export default defineConfig({
  plugins: [quietDependencySourcemaps()],
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that start servers or child processes run in forks so a crash stays contained.
    pool: 'forks',
    // Most out-of-process tests wait (on containers, probes, ARM's operations), not compute: three files at
    // once on two cores keeps both busy. (Vitest's default is one fewer than the cores: one worker here.)
    maxWorkers: 3,
    // Its JSON schema import lacks `with { type: 'json' }`, which Node 20 requires; let Vite load it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: INCLUDE,
          exclude: [...configDefaults.exclude, ...OUT_OF_PROCESS],
          globalSetup: ['test/global-setup.ts'],
          // One module graph per worker instead of one per file: half the CPU, and these tests share no state.
          isolate: false,
        },
      },
      { extends: true, test: { name: 'integration', include: OUT_OF_PROCESS, globalSetup: ['test/global-setup.ts'] } },
    ],
  },
});
