import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// Runs the tests start through the CLI append to a history of their own, not to the checkout's
// runs/history.jsonl; test/global-setup.ts removes it afterwards.
process.env.CHAOS_HARNESS_HISTORY ??= join(
  tmpdir(),
  `chaos-harness-test-history-${process.pid}`,
  'history.jsonl',
);

export default defineConfig({
  test: {
    globalSetup: ['./test/global-setup.ts'],
    env: { CHAOS_HARNESS_HISTORY: process.env.CHAOS_HARNESS_HISTORY },
    reporters: ['default', './test/summary-reporter.ts'],
    include: ['src/**/*.test.ts', 'environments/**/*.test.ts', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    // Integration tests start real servers; two cores cannot run many of them at once without
    // distorting the timings they assert on.
    fileParallelism: true,
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
