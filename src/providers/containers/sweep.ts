// After a SIGKILL of the harness, its containers and network outlive it. The next run (of any
// provider) removes those whose owner is gone, and says what it removed.

import { processStartTicks, recordsDir } from '../local/run-registry.js';
import { connectEngine, engineConfigured, LABELS } from './engine.js';
import { removeRun } from './runtime.js';

function ownerAlive(owner: string | undefined): boolean {
  const [pid, ticks] = (owner ?? '').split(':');
  return pid !== undefined && ticks !== undefined && ticks !== '' && processStartTicks(Number(pid)) === ticks;
}

export async function sweepDeadContainerRuns(
  log?: (m: string) => void,
  /** Which runs to consider (tests sweep their own only); default every run. */
  only: (runId: string) => boolean = () => true,
): Promise<{ runId: string; containers: number; networks: number; volumes: number }[]> {
  if (!engineConfigured()) return [];
  let docker: Awaited<ReturnType<typeof connectEngine>>;
  try {
    docker = await connectEngine(1000);
  } catch {
    return []; // no engine: nothing of ours can be running in one
  }
  const filters = JSON.stringify({ label: [LABELS.run] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  const dead = new Set<string>();
  const registry = recordsDir();
  // Labelled before the registry label existed: every harness's to sweep, as then.
  const ours = (x: Record<string, string> | undefined) =>
    x?.[LABELS.registry] === undefined || x[LABELS.registry] === registry;
  const swept = (volumes.Volumes ?? []).filter((v) => v.Labels?.[LABELS.keepVolume] !== '1');
  for (const x of [
    ...containers.map((c) => c.Labels),
    ...networks.map((n) => n.Labels),
    ...swept.map((v) => v.Labels),
  ]) {
    const runId = x?.[LABELS.run];
    if (runId && only(runId) && ours(x) && !ownerAlive(x?.[LABELS.owner])) dead.add(runId);
  }
  const out: { runId: string; containers: number; networks: number; volumes: number }[] = [];
  for (const runId of dead) {
    const removed = await removeRun(docker, runId);
    log?.(
      `cleaned up after interrupted run ${runId}: removed ${removed.containers} container(s)${removed.volumes ? `, ${removed.networks} network(s) and ${removed.volumes} volume(s)` : ` and ${removed.networks} network(s)`}`,
    );
    out.push({ runId, ...removed });
  }
  return out;
}
