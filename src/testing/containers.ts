// Shared by the containers tests: why they skip (no engine answers, an image was never built),
// and what of a run is still in the engine after it (by the run's label).

import type Docker from 'dockerode';
import { connectEngine, LABELS, requireImages } from '../providers/containers/engine.js';

/** The engine, or the reason to skip (printed once, naming the test). */
export async function engineForTests(
  what: string,
  images: readonly string[] = [],
): Promise<{ docker: Docker; skip?: undefined } | { docker?: undefined; skip: string }> {
  try {
    const docker = await connectEngine(3000);
    await requireImages(docker, images);
    return { docker };
  } catch (err) {
    const skip = (err as Error).message;
    console.log(`${what} skipped: ${skip}`);
    return { skip };
  }
}

/** Names of the containers, networks and volumes that carry the run's label. */
export async function runLeftovers(
  docker: Docker,
  runId: string,
): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const filters = JSON.stringify({ label: [`${LABELS.run}=${runId}`] });
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true, filters }),
    docker.listNetworks({ filters }),
    docker.listVolumes({ filters }),
  ]);
  return {
    containers: containers.map((c) => c.Names.join(',')),
    networks: networks.map((n) => n.Name),
    volumes: (volumes.Volumes ?? []).map((v) => v.Name),
  };
}

export const NOTHING_LEFT = { containers: [], networks: [], volumes: [] };
