// Removes the run history the tests' CLI runs appended to (vitest.config.ts names it).
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';

export default function setup(): () => void {
  return () => {
    const file = process.env.CHAOS_HARNESS_HISTORY;
    if (file && /chaos-harness-test-history-\d+$/.test(dirname(file)))
      rmSync(dirname(file), { recursive: true, force: true });
  };
}
