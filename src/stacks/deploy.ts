// The contract between a stack with a deploy pipeline (the system under test) and the `deploy`
// fault kind: how to run the pipeline, and how to see and undo what it left live.

import { extensionKey } from '../core/extensions.js';

export interface DeployPipeline {
  /** argv of the pipeline; the injector appends `--version <v>` and `extraArgs`. */
  command: readonly string[];
  cwd?: string;
  /** ProcessSpec.runId, so the leak sweep finds the pipeline and whatever it starts. */
  runId: string;
  logDir: string;
  /** Which slot takes traffic now, and its version. */
  liveVersion(signal?: AbortSignal): Promise<{ slot: string; version: string | null }>;
  /** Send traffic back to `slot` and stop the other one: undoes a failed deploy left live. */
  restore(slot: string, signal?: AbortSignal): Promise<void>;
}

export const DEPLOY = extensionKey<DeployPipeline>('deploy', 'deploy pipeline');
