import { defineConfig } from "vitest/config";

// Browser flows: one file at a time (the machine is shared), generous timeouts
// for a cold Chromium, no retries.
export default defineConfig({
  test: {
    include: ["e2e/**/*.e2e.ts"],
    environment: "node",
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
