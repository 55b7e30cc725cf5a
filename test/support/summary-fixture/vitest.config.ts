import { defineConfig } from 'vitest/config';

/** Runs only the summary fixture, with the project's summary reporter. */
export default defineConfig({
  test: {
    root: import.meta.dirname,
    include: ['*.fixture.ts'],
    reporters: ['../summary-reporter.ts'],
  },
});
