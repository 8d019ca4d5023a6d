// Units of the kinds' numeric fields that are not durations (those say "duration" themselves), for
// docs/kinds.md. A registry of its own, so the unit stays out of the published JSON Schema.
import { z } from 'zod';

export const fieldUnits = z.registry<{ unit: string }>();

/** `schema`, documented as measured in `unit` ("KB/s", "bytes"). */
export function unit<S extends z.ZodType>(schema: S, name: string): S {
  fieldUnits.add(schema, { unit: name });
  return schema;
}
