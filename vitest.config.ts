import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Console output only for failing tests: kafkajs logs at ERROR the errors it retries by itself
    // (coordinator loading on a fresh broker), which would bury real failures in a green run.
    silent: 'passed-only',
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 20_000 } },
      // The whole embedded flow in one process: simulator -> feeds -> bus -> engine -> HTTP.
      { test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // waits for the real Kafka and Redis (started by scripts/test.sh) and provides their addresses
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 20_000,
          hookTimeout: 30_000,
        },
      },
    ],
  },
});
