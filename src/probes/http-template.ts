// The placeholders of http-write's request templates: `{id}` (the write's unique id), `{seq}` (its
// number in this probe, from 0) and `{sentAt}` (wall-clock ISO time it was sent). Single braces
// around a known name only, so JSON bodies need no escaping; `{{id}}` writes a literal `{id}`.
// `${...}` is the environment's syntax and is refused here, so the two are never confused.

import { z } from 'zod';
import { unknownFieldMessage } from '../scenario/known-fields.js';

export const PLACEHOLDERS = ['id', 'seq', 'sentAt'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];
export type TemplateValues = Readonly<Record<Placeholder, string>>;

const TOKEN = /\{\{([A-Za-z][A-Za-z0-9]*)\}\}|\{([A-Za-z][A-Za-z0-9]*)\}/g;

const isPlaceholder = (s: string): s is Placeholder => (PLACEHOLDERS as readonly string[]).includes(s);

/** Why `template` cannot be rendered, or undefined. */
export function templateProblem(template: string): string | undefined {
  if (template.includes('${')) {
    return `http-write templates use {id}, {seq} and {sentAt}; \${...} is for environment.yaml`;
  }
  for (const m of template.matchAll(TOKEN)) {
    const name = m[2];
    if (name === undefined || isPlaceholder(name)) continue;
    return unknownFieldMessage(name, PLACEHOLDERS, `placeholder {${name}}`);
  }
  return undefined;
}

export function usesPlaceholder(template: string | undefined, name: Placeholder): boolean {
  if (template === undefined) return false;
  for (const m of template.matchAll(TOKEN)) if (m[2] === name) return true;
  return false;
}

export function render(template: string, values: TemplateValues): string {
  return template.replace(TOKEN, (_whole, literal: string | undefined, name: string | undefined) => {
    if (literal !== undefined) return `{${literal}}`;
    return isPlaceholder(name ?? '') ? values[name as Placeholder] : `{${name}}`;
  });
}

/** A string field holding a template, checked at load time. */
export const template = z.string().superRefine((s, c) => {
  const why = templateProblem(s);
  if (why) c.addIssue({ code: 'custom', message: why });
});
