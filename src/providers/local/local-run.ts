// A local run: its record (for the sweep after a SIGKILL) and its work directory.

import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpenedRun } from '../provider.js';
import { RunRegistry } from './run-registry.js';

export async function openLocalRun(opts: { runId: string; scenario: string }): Promise<OpenedRun> {
  const registry = new RunRegistry(opts.runId);
  let workDir: string;
  try {
    workDir = mkdtempSync(join(tmpdir(), `chaos-harness-${opts.scenario}-`));
    chmodSync(workDir, 0o755);
    registry.addDir(workDir);
  } catch (err) {
    await registry.close();
    throw err;
  }
  return {
    provider: 'local',
    runId: opts.runId,
    workDir,
    info: () => ({}),
    async close() {
      const leaked = await registry.close();
      return leaked.length > 0
        ? `killed ${leaked.length} process(es) left behind: ${leaked.join(', ')}`
        : undefined;
    },
  };
}
