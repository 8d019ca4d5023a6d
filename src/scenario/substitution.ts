// `${...}` references in environment.yaml values and file templates: one grammar for the load-time
// check (every name declared in the same file) and for the values a run substitutes.
// `$${` stands for a literal `${` (a shell or nginx config that needs one).

export type Reference =
  | { kind: 'dir'; name: 'workDir' | 'runDir' | 'envDir' }
  | { kind: 'port'; service: string | undefined; port: string }
  | { kind: 'option'; name: string }
  /** Compose overlays only: the address a project's containers reach a proxied port at. */
  | { kind: 'proxied'; service: string; port: string };

export const SUBSTITUTION_FORMS = `\${ports.<name>}, \${services.<svc>.ports.<name>}, \${options.<name>}, \${workDir}, \${runDir} or \${envDir}`;

const REFERENCE = /\$(\$?)\{([^}]*)\}/g;

export function parseReference(expr: string): Reference | undefined {
  if (expr === 'workDir' || expr === 'runDir' || expr === 'envDir') return { kind: 'dir', name: expr };
  const parts = expr.split('.');
  if (parts.length === 2 && parts[0] === 'ports' && parts[1])
    return { kind: 'port', service: undefined, port: parts[1] };
  if (parts.length === 4 && parts[0] === 'services' && parts[2] === 'ports' && parts[1] && parts[3])
    return { kind: 'port', service: parts[1], port: parts[3] };
  if (parts.length === 4 && parts[0] === 'services' && parts[2] === 'proxied' && parts[1] && parts[3])
    return { kind: 'proxied', service: parts[1], port: parts[3] };
  if (parts.length === 2 && parts[0] === 'options' && parts[1]) return { kind: 'option', name: parts[1] };
  return undefined;
}

/**
 * `value` with every reference replaced by `resolve(ref)`; a reference that does not parse or
 * resolves to undefined is reported through `unknown(whole)` and left as written.
 */
export function substitute(
  value: string,
  resolve: (ref: Reference) => string | number | boolean | undefined,
  unknown: (whole: string) => void,
): string {
  return value.replace(REFERENCE, (whole, escaped: string, expr: string) => {
    if (escaped) return whole.slice(1);
    const ref = parseReference(expr);
    const v = ref ? resolve(ref) : undefined;
    if (v === undefined) {
      unknown(whole);
      return whole;
    }
    return String(v);
  });
}
