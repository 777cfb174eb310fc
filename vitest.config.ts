// One test run for the whole repository: every package's Node tests, and the
// protocol suite a second time inside Debian's headless Chromium.
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './scripts/chromium.mjs';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'node',
          sequence: { groupOrder: 0 },
          environment: 'node',
          include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'fuzz/**/*.test.ts'],
          exclude: ['**/node_modules/**', 'packages/client/src/browser/**', 'packages/web/test/**'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The web app end to end: a server and Chromium per file, people in browser
          // contexts, real calls. Last, and one file at a time: beside the cluster tests
          // or each other they load two cores enough to make timing-bound tests flaky.
          name: 'web',
          sequence: { groupOrder: 2 },
          environment: 'node',
          include: ['packages/web/test/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          // The server's plugin tests again, every app over PostgreSQL (a throwaway server per file).
          name: 'node-postgres',
          sequence: { groupOrder: 0 },
          environment: 'node',
          include: ['packages/server/src/**/*.test.ts'],
          // hostile.test.ts starts server processes on SQLite; its storage-level part (quotas.test.ts) runs here.
          exclude: ['**/node_modules/**', 'packages/server/src/storage/**', 'packages/server/src/cluster/**', 'packages/server/src/hardening/hostile.test.ts'],
          env: { PARLEY_TEST_STORAGE: 'postgres' },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'chromium',
          // After the Node project, not beside it: the end-to-end tests start servers,
          // CLI processes and browsers of their own, and two cores are few.
          sequence: { groupOrder: 1 },
          // The protocol must run unchanged in browsers: its whole suite runs here
          // too, except interop tests, which need libsignal's native module.
          include: ['packages/protocol/src/**/*.test.ts', 'packages/client/src/browser/**/*.test.ts'],
          exclude: ['**/*.interop.test.ts', '**/*.node.test.ts', '**/node_modules/**'],
          testTimeout: 120_000,
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: CHROMIUM_PATH,
                args: CHROMIUM_ARGS,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
