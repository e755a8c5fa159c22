import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'sandbox/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Tests that start servers or child processes run in forks so a crash stays contained.
    pool: 'forks',
    // Its JSON schema import lacks `with { type: 'json' }`, which Node 20 requires; let Vite load it.
    server: { deps: { inline: ['@actions/workflow-parser'] } },
  },
});
