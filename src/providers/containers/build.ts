// Images a YAML environment builds for its services (`build: { context, dockerfile, args }`).
// The tag carries a hash of the build's inputs, so an unchanged service is not rebuilt: the image
// stays on the engine as a cache between runs (label chaos-harness.build; remove them with
// `docker image prune -a --filter label=chaos-harness.build`).

import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type Docker from 'dockerode';
import { HarnessError } from '../../core/errors.js';
import type { LogFn } from '../../core/types.js';
import { LABELS } from './engine.js';

export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string;
  /** Relative to the context. */
  dockerfile: string;
  args: Readonly<Record<string, string>>;
}

/** Base images tried, in order, for a Dockerfile that declares `ARG BASE_IMAGE` without it given. */
const BASE_CANDIDATES = ['debian:bookworm-slim', 'chaos-harness/debian:bookworm'];

/** Files of the context, relative and sorted, without VCS and dependency folders. */
function contextFiles(dir: string, root = dir, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === '.git' || e.name === 'node_modules') continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) contextFiles(p, root, out);
    else if (e.isFile()) out.push(relative(root, p));
  }
  return out.sort();
}

function inputsHash(spec: BuildSpec, args: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({ dockerfile: spec.dockerfile, args }));
  for (const f of contextFiles(spec.context)) {
    const p = join(spec.context, f);
    h.update(`\0${f}\0${statSync(p).mode & 0o111 ? 'x' : '-'}\0`);
    h.update(readFileSync(p));
  }
  return h.digest('hex').slice(0, 12);
}

async function imageId(docker: Docker, image: string): Promise<string | undefined> {
  try {
    return (await docker.getImage(image).inspect()).Id;
  } catch {
    return undefined;
  }
}

/** BASE_IMAGE for Dockerfiles that take it (as this repository's do): the first base the engine has. */
async function baseImageArg(docker: Docker, spec: BuildSpec): Promise<Record<string, string>> {
  const text = readFileSync(join(spec.context, spec.dockerfile), 'utf8');
  if (!/^\s*ARG\s+BASE_IMAGE\b/m.test(text) || spec.args.BASE_IMAGE !== undefined) return {};
  for (const image of BASE_CANDIDATES) {
    if (await imageId(docker, image)) return { BASE_IMAGE: image };
  }
  return {};
}

/**
 * The image for one service: reused when its inputs are unchanged, built otherwise. `what` names
 * the field in errors ("services.api.build of environment.yaml").
 */
export async function buildServiceImage(
  docker: Docker,
  service: string,
  spec: BuildSpec,
  opts: { what: string; log: LogFn; signal?: AbortSignal | undefined },
): Promise<{ image: string; id: string; built: boolean }> {
  const args = { ...(await baseImageArg(docker, spec)), ...spec.args };
  const image = `chaos-harness-build/${service}:${inputsHash(spec, args)}`;
  const cached = await imageId(docker, image);
  if (cached) {
    opts.log(`image ${image} for ${service} is up to date (inputs unchanged)`);
    return { image, id: cached, built: false };
  }
  const t0 = performance.now();
  opts.log(`building ${image} for ${service} from ${join(spec.context, spec.dockerfile)}`);
  const stream = await docker.buildImage(
    { context: spec.context, src: readdirSync(spec.context) },
    {
      t: image,
      dockerfile: spec.dockerfile,
      buildargs: args,
      labels: { [LABELS.harness]: '1', 'chaos-harness.build': service },
      rm: true,
      forcerm: true,
    },
  );
  const onAbort = () => (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const output: string[] = [];
  let failure: string | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      docker.modem.followProgress(
        stream,
        (err: Error | null) => (err ? reject(err) : resolve()),
        (e: { stream?: string; error?: string; errorDetail?: { message?: string } }) => {
          if (e.stream) output.push(...e.stream.split('\n').filter((l) => l.trim() !== ''));
          if (e.error) failure = e.errorDetail?.message ?? e.error;
        },
      );
    });
  } catch (cause) {
    opts.signal?.throwIfAborted();
    throw new HarnessError('IMAGE_BUILD_FAILED', `${opts.what}: the build of ${image} broke off`, { cause });
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  const id = await imageId(docker, image);
  if (failure !== undefined || id === undefined) {
    const tail = output.slice(-12).join('\n');
    throw new HarnessError(
      'IMAGE_BUILD_FAILED',
      `${opts.what}: docker build of ${spec.context} failed: ${failure ?? 'no image was produced'}` +
        (tail ? `\nlast lines of the build:\n${tail}` : ''),
    );
  }
  opts.log(`built ${image} for ${service} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return { image, id, built: true };
}
