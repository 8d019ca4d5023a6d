// Toxic definitions as the Toxiproxy API exchanges them, with its defaults and its error texts,
// so clients written for Toxiproxy see the same answers from this proxy.

export const TOXIC_TYPES = [
  'latency',
  'bandwidth',
  'slow_close',
  'timeout',
  'reset_peer',
  'slicer',
  'limit_data',
] as const;
export type ToxicType = (typeof TOXIC_TYPES)[number];
export type ToxicStream = 'upstream' | 'downstream';

/** Attribute names per type; every attribute is a non-negative number, 0 when not given. */
const ATTRIBUTES: Record<ToxicType, readonly string[]> = {
  latency: ['latency', 'jitter'],
  bandwidth: ['rate'],
  slow_close: ['delay'],
  timeout: ['timeout'],
  reset_peer: ['timeout'],
  slicer: ['average_size', 'size_variation', 'delay'],
  limit_data: ['bytes'],
};

export interface ToxicSpec {
  name: string;
  type: ToxicType;
  stream: ToxicStream;
  /** Probability (0..1) that the toxic applies to a given connection. */
  toxicity: number;
  attributes: Readonly<Record<string, number>>;
}

/** An error the HTTP API returns as `{"error": message, "status": status}`. */
export class ApiError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

// Message texts as Toxiproxy words them: some clients match on them.
export const badRequest = (detail: string) => new ApiError(`bad request body: ${detail}`, 400);
export const missingField = (field: string) => new ApiError(`missing required field: ${field}`, 400);
export const proxyNotFound = () => new ApiError('proxy not found', 404);
export const proxyExists = () => new ApiError('proxy already exists', 409);
export const toxicNotFound = () => new ApiError('toxic not found', 404);
export const toxicExists = () => new ApiError('toxic already exists', 409);
export const invalidStream = () =>
  new ApiError('stream was invalid, can be either upstream or downstream', 400);
export const invalidToxicType = () => new ApiError('invalid toxic type', 400);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readToxicity(value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw badRequest(`toxicity must be a number between 0 and 1, got ${JSON.stringify(value)}`);
  }
  return value;
}

function readAttributes(
  type: ToxicType,
  value: unknown,
  base: Readonly<Record<string, number>>,
): Record<string, number> {
  if (value !== undefined && value !== null && !isRecord(value))
    throw badRequest('attributes must be an object');
  const out: Record<string, number> = {};
  for (const key of ATTRIBUTES[type]) {
    const v = value?.[key];
    if (v === undefined) {
      out[key] = base[key] ?? 0;
    } else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw badRequest(`attribute ${key} of ${type} must be a non-negative number, got ${JSON.stringify(v)}`);
    } else {
      out[key] = v;
    }
  }
  if (type === 'slicer' && (out.average_size ?? 0) < 1) {
    throw badRequest('attribute average_size of slicer must be at least 1');
  }
  return out;
}

/** A toxic from a create request body, with Toxiproxy's defaults (downstream, toxicity 1, `<type>_<stream>`). */
export function parseNewToxic(body: unknown): ToxicSpec {
  if (!isRecord(body)) throw badRequest('expected a JSON object');
  const stream = body.stream ?? 'downstream';
  if (stream !== 'upstream' && stream !== 'downstream') throw invalidStream();
  const type = body.type;
  if (typeof type !== 'string' || !(TOXIC_TYPES as readonly string[]).includes(type))
    throw invalidToxicType();
  const t = type as ToxicType;
  const name = body.name === undefined || body.name === '' ? `${t}_${stream}` : body.name;
  if (typeof name !== 'string') throw badRequest('name must be a string');
  return {
    name,
    type: t,
    stream,
    toxicity: readToxicity(body.toxicity, 1),
    attributes: readAttributes(t, body.attributes, {}),
  };
}

/** An update changes attributes (merged over the current ones) and toxicity; name, type and stream stay. */
export function parseToxicUpdate(current: ToxicSpec, body: unknown): ToxicSpec {
  if (!isRecord(body)) throw badRequest('expected a JSON object');
  return {
    ...current,
    toxicity: readToxicity(body.toxicity, current.toxicity),
    attributes: readAttributes(current.type, body.attributes, current.attributes),
  };
}

export function toxicJson(spec: ToxicSpec): ToxicSpec {
  return {
    name: spec.name,
    type: spec.type,
    stream: spec.stream,
    toxicity: spec.toxicity,
    attributes: { ...spec.attributes },
  };
}
