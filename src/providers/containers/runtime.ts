// A run's containers: one network of its own, every container and the network labelled with the
// run and its owner, all removed at disposal (and by the next run's sweep after a SIGKILL).

import type Docker from 'dockerode';
import type { LogFn } from '../../core/types.js';
import { processStartTicks, recordsDir } from '../local/run-registry.js';
import { type BuildSpec, buildServiceImage } from './build.js';
import { connectEngine, LABELS, requireImages } from './engine.js';
import { type ContainerSpec, ManagedContainer } from './managed-container.js';

export type ContainerServiceSpec = Omit<ContainerSpec, 'network' | 'labels' | 'containerName'>;

export class ContainerRuntime implements AsyncDisposable {
  readonly docker: Docker;
  readonly runId: string;
  readonly network: string;
  /** Image → image id, for the report. */
  readonly images: Record<string, string> = {};
  readonly #containers: ManagedContainer[] = [];
  readonly #labels: Record<string, string>;

  private constructor(docker: Docker, runId: string, network: string, labels: Record<string, string>) {
    this.docker = docker;
    this.runId = runId;
    this.network = network;
    this.#labels = labels;
  }

  static async open(runId: string): Promise<ContainerRuntime> {
    const docker = await connectEngine();
    const labels = {
      [LABELS.harness]: '1',
      [LABELS.run]: runId,
      [LABELS.owner]: `${process.pid}:${processStartTicks(process.pid) ?? ''}`,
      [LABELS.registry]: recordsDir(),
    };
    const network = `chaos-harness-${runId}`;
    await docker.createNetwork({ Name: network, Driver: 'bridge', CheckDuplicate: true, Labels: labels });
    return new ContainerRuntime(docker, runId, network, labels);
  }

  /** The labels of everything the run creates (a helper container of its own must carry them too). */
  get labels(): Readonly<Record<string, string>> {
    return this.#labels;
  }

  /** Fail before anything starts when an image is missing; remembers their ids for the report. */
  async requireImages(images: readonly string[]): Promise<void> {
    Object.assign(this.images, await requireImages(this.docker, images));
  }

  /** Builds (or reuses, when its inputs are unchanged) a service's image; remembers its id for the report. */
  async buildImage(
    service: string,
    spec: BuildSpec,
    opts: { what: string; log: LogFn; signal?: AbortSignal | undefined },
  ): Promise<string> {
    const { image, id } = await buildServiceImage(this.docker, service, spec, opts);
    this.images[image] = id;
    return image;
  }

  /** A container for one service on the run's network (created when first started). */
  container(spec: ContainerServiceSpec): ManagedContainer {
    const c = new ManagedContainer(this.docker, {
      ...spec,
      network: this.network,
      labels: { ...this.#labels, [LABELS.service]: spec.name },
      containerName: `chaos-harness-${this.runId}-${spec.name}`,
    });
    this.#containers.push(c);
    return c;
  }

  /** Removes every container of the run (also ones nothing tracks any more), then its network. */
  async [Symbol.asyncDispose](): Promise<void> {
    await Promise.all(this.#containers.map((c) => c.remove()));
    await removeRun(this.docker, this.runId);
  }
}

/**
 * Force-remove every container, network and volume labelled with `runId` (volumes: those a Compose
 * project of the run created; not the ones it was told to keep); returns what was removed.
 */
export async function removeRun(
  docker: Docker,
  runId: string,
): Promise<{ containers: number; networks: number; volumes: number }> {
  const filters = JSON.stringify({ label: [`${LABELS.run}=${runId}`] });
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  const networks = await docker.listNetworks({ filters });
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {}),
    ),
  );
  const volumes = ((await docker.listVolumes({ filters })).Volumes ?? []).filter(
    (v) => v.Labels?.[LABELS.keepVolume] !== '1',
  );
  await Promise.all(
    volumes.map((v) =>
      docker
        .getVolume(v.Name)
        .remove({ force: true })
        .catch(() => {}),
    ),
  );
  return { containers: containers.length, networks: networks.length, volumes: volumes.length };
}
