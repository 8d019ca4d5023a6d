// The Docker engine the containers provider talks to, through dockerode (the client testcontainers
// itself is built on). testcontainers' GenericContainer publishes ports on every interface and has
// no pause or kill(signal); the provider needs loopback-only ports, signals, freezing and labels
// on networks, so it drives the engine with dockerode directly. Connection: DOCKER_HOST, else
// /var/run/docker.sock, as the docker CLI and testcontainers do.

import { existsSync } from 'node:fs';
import Docker from 'dockerode';
import { HarnessError } from '../../core/errors.js';
import { within } from '../../core/within.js';

/** Labels on everything a run creates: the sweep finds a dead run's containers and networks by them. */
export const LABELS = {
  harness: 'chaos-harness',
  run: 'chaos-harness.run',
  /** `<pid>:<start ticks>` of the harness that owns the run: alive or not tells the sweep. */
  owner: 'chaos-harness.owner',
  /**
   * The run registry (state directory) of the harness that owns the run. A sweep removes only the
   * dead runs of its own registry: one per machine by default, so every run; a test file with a
   * registry of its own sweeps its own runs only, never another file's that it is still checking.
   */
  registry: 'chaos-harness.registry',
  service: 'chaos-harness.service',
  /** On a volume the run was told to keep (`keepVolumes: true`): no teardown or sweep removes it. */
  keepVolume: 'chaos-harness.keep',
} as const;

export const SETUP_HINT =
  'run `bash scripts/setup-containers.sh` (installs and starts Docker, builds the images)';

function engineAddress(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** Whether an engine might answer, without waiting for one (the sweep of local runs asks this). */
export function engineConfigured(): boolean {
  return process.env.DOCKER_HOST !== undefined || existsSync('/var/run/docker.sock');
}

/** A client of an engine that answered a ping within `timeoutMs`, or a clear error. */
export async function connectEngine(timeoutMs = 5000): Promise<Docker> {
  // No Ryuk image can be pulled here, and the harness removes what it creates itself.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const docker = new Docker();
  const answer = await within(
    docker.ping().then(
      () => undefined,
      (err: unknown) => err,
    ),
    timeoutMs,
    new Error(`no answer within ${timeoutMs} ms`),
  );
  if (answer !== undefined) {
    const why = answer instanceof Error ? answer.message : String(answer);
    throw new HarnessError(
      'CONTAINERS_UNAVAILABLE',
      `the containers provider needs a Docker engine, and none answers at ${engineAddress()} (${why}); ${SETUP_HINT}`,
    );
  }
  return docker;
}

/** Fails before anything starts when an image the environment needs was never built. */
export async function requireImages(
  docker: Docker,
  images: readonly string[],
): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  for (const image of images) {
    try {
      ids[image] = (await docker.getImage(image).inspect()).Id;
    } catch {
      throw new HarnessError(
        'IMAGE_MISSING',
        `the image ${image} is not built on this engine; ${SETUP_HINT}`,
      );
    }
  }
  return ids;
}
