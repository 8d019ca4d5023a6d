// One service as a Docker container: the containers provider's counterpart of ManagedProcess.
// Created once, started again after a kill or stop (its filesystem, network alias and published
// ports stay), removed at disposal. Ports are published on 127.0.0.1 only, each on the same
// number inside and outside, so endpoints never change across restarts.

import { createWriteStream } from 'node:fs';
import { constants } from 'node:os';
import type Docker from 'dockerode';
import { HarnessError } from '../../core/errors.js';
import type { ExitInfo, ServiceRunner } from '../service-runner.js';

export interface ContainerSpec {
  /** Service name: the container's network alias and hostname. */
  name: string;
  image: string;
  /** Command and arguments (the image's entrypoint stays). */
  cmd: readonly string[];
  env?: Readonly<Record<string, string>>;
  user?: string | undefined;
  workingDir?: string | undefined;
  /** Published on 127.0.0.1 under the same number. */
  ports: readonly number[];
  /** `host:container[:mode]` bind mounts. */
  binds?: readonly string[];
  /** Paths in the container on volumes of its own (anonymous: they go with the container). */
  volumes?: readonly string[];
  network: string;
  labels: Readonly<Record<string, string>>;
  logFile: string;
  /** Docker's name for the container (unique per run). */
  containerName: string;
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

/** Signal number → name: a container killed by signal N exits with code 128 + N. */
const SIGNALS = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

export class ManagedContainer implements ServiceRunner {
  readonly spec: ContainerSpec;
  readonly #docker: Docker;
  #container: Docker.Container | undefined;
  #running = false;
  #exited: Promise<ExitInfo> = Promise.resolve({ code: null, signal: null });
  #listeners = new Set<(info: ExitInfo) => void>();
  startError: Error | undefined;

  constructor(docker: Docker, spec: ContainerSpec) {
    this.#docker = docker;
    this.spec = spec;
  }

  get logFile(): string {
    return this.spec.logFile;
  }

  get running(): boolean {
    return this.#running;
  }

  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  /** Docker's id of the container (created on first start). */
  get containerId(): string | undefined {
    return this.#container?.id;
  }

  /** The engine and the container, once created: what data-file access through the engine needs. */
  engine(): { docker: Docker; container: Docker.Container } | undefined {
    return this.#container && { docker: this.#docker, container: this.#container };
  }

  id(): string | undefined {
    return this.#running && this.#container ? `container ${this.#container.id.slice(0, 12)}` : undefined;
  }

  onExit(listener: (info: ExitInfo) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async #create(): Promise<Docker.Container> {
    const s = this.spec;
    const exposed: Record<string, object> = {};
    const bindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of s.ports) {
      exposed[`${p}/tcp`] = {};
      // Loopback only: nothing of a run is reachable from another machine.
      bindings[`${p}/tcp`] = [{ HostIp: '127.0.0.1', HostPort: String(p) }];
    }
    try {
      return await this.#docker.createContainer({
        name: s.containerName,
        Image: s.image,
        Cmd: [...s.cmd],
        Env: Object.entries(s.env ?? {}).map(([k, v]) => `${k}=${v}`),
        Hostname: s.name,
        Labels: { ...s.labels },
        ExposedPorts: exposed,
        ...(s.volumes?.length ? { Volumes: Object.fromEntries(s.volumes.map((v) => [v, {}])) } : {}),
        ...(s.user ? { User: s.user } : {}),
        ...(s.workingDir ? { WorkingDir: s.workingDir } : {}),
        HostConfig: {
          PortBindings: bindings,
          Binds: [...(s.binds ?? [])],
          NetworkMode: s.network,
          // Restarts are the supervisor's (the scenario's restart policy), never Docker's.
          RestartPolicy: { Name: 'no' },
        },
        NetworkingConfig: { EndpointsConfig: { [s.network]: { Aliases: [s.name] } } },
      });
    } catch (cause) {
      throw new HarnessError(
        'NOT_READY',
        `container for service "${s.name}" (image ${s.image}) could not be created: ${(cause as Error).message}`,
        { cause },
      );
    }
  }

  /**
   * Take over a container someone else created (Compose): from now on it is this service's, as if
   * started here. When it runs, its log so far and from now on goes to the log file.
   */
  async adopt(id: string): Promise<void> {
    const c = this.#docker.getContainer(id);
    this.#container = c;
    const state = (await c.inspect()).State;
    if (!state.Running) return;
    const waited = c.wait({ condition: 'not-running' });
    const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream;
    const log = createWriteStream(this.spec.logFile, { flags: 'a' });
    this.#docker.modem.demuxStream(stream, log, log);
    stream.on('end', () => log.end());
    this.#running = true;
    this.#exited = waited.then(
      (r: { StatusCode: number }) => this.#ended(r.StatusCode),
      () => this.#ended(null),
    );
  }

  async start(): Promise<void> {
    if (this.#running) throw new HarnessError('PROCESS_RUNNING', `${this.spec.name} is already running`);
    this.startError = undefined;
    try {
      this.#container ??= await this.#create();
      const c = this.#container;
      // Attached before the start, so the log holds every line from the first one.
      const stream = await c.attach({ stream: true, stdout: true, stderr: true });
      const log = createWriteStream(this.spec.logFile, { flags: 'a' });
      this.#docker.modem.demuxStream(stream, log, log);
      stream.on('end', () => log.end());
      const waited = c.wait({ condition: 'next-exit' });
      await c.start();
      this.#running = true;
      this.#exited = waited.then(
        (r: { StatusCode: number }) => this.#ended(r.StatusCode),
        () => this.#ended(null),
      );
    } catch (err) {
      this.startError = err instanceof Error ? err : new Error(String(err));
      this.#running = false;
      this.#exited = Promise.resolve(this.#ended(null));
    }
  }

  #ended(code: number | null): ExitInfo {
    this.#running = false;
    const info: ExitInfo =
      code !== null && code > 128 && SIGNALS.has(code - 128)
        ? { code: null, signal: SIGNALS.get(code - 128) as NodeJS.Signals }
        : { code, signal: null };
    for (const l of this.#listeners) l(info);
    return info;
  }

  async #paused(): Promise<boolean> {
    try {
      return Boolean((await this.#container?.inspect())?.State.Paused);
    } catch {
      return false;
    }
  }

  async signal(sig: NodeJS.Signals): Promise<boolean> {
    if (!this.#running || !this.#container) return false;
    try {
      await this.#container.kill({ signal: sig });
      return true;
    } catch {
      return false;
    }
  }

  async kill(sig: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    if (!this.#running) return this.#exited;
    if (await this.#paused()) await this.resume();
    await this.signal(sig);
    return this.#exited;
  }

  async stop(graceMs = 5000): Promise<ExitInfo> {
    if (!this.#running || !this.#container) return this.#exited;
    if (await this.#paused()) await this.resume();
    // Docker sends SIGTERM, then SIGKILL after t seconds.
    await this.#container.stop({ t: Math.max(0, Math.ceil(graceMs / 1000)) }).catch(() => {});
    return this.#exited;
  }

  async pause(): Promise<boolean> {
    if (!this.#running || !this.#container) return false;
    await this.#container.pause();
    return true;
  }

  async resume(): Promise<boolean> {
    if (!this.#container) return false;
    try {
      await this.#container.unpause();
      return true;
    } catch {
      return false; // not paused
    }
  }

  /** Run a command in the running container. */
  async exec(argv: readonly string[], opts: { user?: string } = {}): Promise<ExecResult> {
    if (!this.#running || !this.#container)
      throw new HarnessError('PROCESS_EXITED', `service "${this.spec.name}" is not running`);
    const exec = await this.#container.exec({
      Cmd: [...argv],
      AttachStdout: true,
      AttachStderr: true,
      ...(opts.user ? { User: opts.user } : {}),
    });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    const sink = { write: (b: Buffer) => chunks.push(b) } as unknown as NodeJS.WritableStream;
    this.#docker.modem.demuxStream(stream, sink, sink);
    await new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: Buffer.concat(chunks).toString('utf8') };
  }

  /** Remove the container (killing it if it runs). */
  async remove(): Promise<void> {
    const c = this.#container;
    if (!c) return;
    await c.remove({ force: true, v: true }).catch(() => {});
    if (this.#running) this.#ended(null);
  }
}
