// Test configuration. With TG_TEST_REPORT set (CI), a JSON report is written too so that
// .ci/run can print the whole run's pass/fail counts.
import { defineConfig } from 'vitest/config';

const report = process.env['TG_TEST_REPORT'];

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The display bundles, built once before any test starts a server (tools/build-client.ts).
    globalSetup: ['test/helpers/build-client.global.ts'],
    reporters: report ? ['default', ['json', { outputFile: report }]] : ['default'],
  },
});
