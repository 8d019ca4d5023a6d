import 'disposablestack/auto';
import { HarnessError } from '../../core/errors.js';
import { Extensions } from '../../core/extensions.js';
import type { StartedEnvironment, StartedService, TargetSelector } from '../../core/types.js';

/**
 * A started environment made of services. Disposal runs the registered clean-ups in
 * reverse order (services last started are stopped first).
 */
export class LocalEnvironment implements StartedEnvironment {
  readonly name: string;
  readonly runDir: string;
  readonly workDir: string;
  readonly info: Record<string, unknown> = {};
  readonly extensions = new Extensions();
  readonly #services = new Map<string, StartedService>();
  readonly #cleanup = new AsyncDisposableStack();

  constructor(opts: { name: string; runDir: string; workDir: string }) {
    this.name = opts.name;
    this.runDir = opts.runDir;
    this.workDir = opts.workDir;
  }

  get services(): ReadonlyMap<string, StartedService> {
    return this.#services;
  }

  /** Register a service; it is disposed with the environment. */
  add<S extends StartedService & AsyncDisposable>(service: S): S {
    this.#services.set(service.name, service);
    this.#cleanup.use(service);
    return service;
  }

  /** Run `fn` at disposal (in reverse order of registration). */
  defer(fn: () => Promise<void> | void): void {
    this.#cleanup.defer(fn);
  }

  resolve(target: TargetSelector, signal?: AbortSignal): Promise<StartedService> {
    return resolveTarget(this.name, this.#services, target, signal);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#cleanup.disposeAsync();
  }
}

/**
 * The service a target names: by `service`, or the first whose role is `target.role` now (asked at
 * this moment: roles change with failovers), or with neither the fallback (default: the first
 * service). Errors name the environment and what it has.
 */
export async function resolveTarget(
  envName: string,
  services: ReadonlyMap<string, StartedService>,
  target: TargetSelector,
  signal?: AbortSignal,
  fallback?: StartedService,
): Promise<StartedService> {
  if (target.service !== undefined) {
    const s = services.get(target.service);
    if (!s) {
      throw new HarnessError(
        'NO_SUCH_SERVICE',
        `environment "${envName}" has no service "${target.service}"; it has: ${[...services.keys()].join(', ')}`,
      );
    }
    return s;
  }
  if (target.role !== undefined) {
    const seen: string[] = [];
    for (const s of services.values()) {
      const role = await s.role(signal);
      seen.push(`${s.name}=${role ?? '-'}`);
      if (role === target.role) return s;
    }
    throw new HarnessError(
      'NO_SUCH_ROLE',
      `no service of "${envName}" has role "${target.role}" now (roles: ${seen.join(', ')})`,
    );
  }
  if (fallback) return fallback;
  const first = services.values().next();
  if (first.done) throw new HarnessError('NO_SUCH_SERVICE', `environment "${envName}" has no services`);
  return first.value;
}
