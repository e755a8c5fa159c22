import { defineConfig, configDefaults } from 'vitest/config';

/**
 * Tests that run outside this process: a docker daemon of their own, the bundled actions or CLI in
 * child processes, or workflow steps in bash. Everything else is `unit`, the contributor's fast loop
 * (`npm run test:unit`); test/lint/projects.test.ts holds the unit project to that.
 */
export const OUT_OF_PROCESS = [
  '**/*.integration.test.ts',
  'test/demo.test.ts',
  'test/workflows.run.test.ts',
  'test/workflows.steps.test.ts',
  'test/workflows.staging.test.ts',
  'test/workflows.e2e.test.ts',
  'test/sandbox/cli.test.ts',
  'test/actions/deploy-container.test.ts',
  'test/actions/hipaa-gate.test.ts',
  'test/actions/hipaa-gate.issue.test.ts',
  'test/actions/migrate-secrets.test.ts',
  'test/actions/workflow-commands.test.ts',
];

const INCLUDE = ['test/**/*.test.ts', 'sandbox/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that start servers or child processes run in forks so a crash stays contained.
    pool: 'forks',
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
