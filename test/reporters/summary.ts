import type { Reporter, SerializedError, TestModule } from 'vitest/node';

/**
 * Prints `N passed, N failed` as the very last line of a run (CI reads that line) and fails a run
 * in which no test passed or failed. Skipped and todo tests count as neither. An error outside any
 * test (a file that cannot be imported, a throwing beforeAll, an unhandled rejection) counts as one
 * failure, so a red run never reports 0 failed.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    for (const mod of modules) {
      for (const test of mod.children.allTests()) {
        const { state } = test.result();
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
      }
      for (const entity of [mod, ...mod.children.allSuites()]) if (entity.errors().length > 0) failed++;
    }
    // Printed at exit, after anything vitest logs once the run is over ("No test files found",
    // hanging-process reports), so the summary stays last. stdout writes are synchronous on Linux.
    process.once('exit', () => {
      if (passed + failed === 0) process.exitCode = 1;
      process.stdout.write(`${passed} passed, ${failed} failed\n`);
    });
  }
}
