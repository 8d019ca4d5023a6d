// Markdown building blocks: anything the stack said is escaped so it shows literally.

function flatten(text: string): string {
  return text.replace(/\r?\n|\r/g, ' ');
}

/**
 * Text from the stack may hold `<thing>` or `&amp;`, which renderers would take for HTML and hide or
 * decode. Only those forms are escaped, so "RTO < 5 min" still reads well in the raw file.
 */
function escapeHtml(text: string): string {
  return text.replace(/&(?=#?[a-z0-9]+;)/gi, '&amp;').replace(/<(?=[a-z/!?])/gi, '&lt;');
}

/** Keeps a value inside its cell: `|` would end it and a newline would end the row. */
export function escapeCell(text: string): string {
  return escapeHtml(text)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/\r?\n|\r/g, '<br>');
}

/** Free text outside tables: one value stays on one line and shows literally. */
export function inline(text: string): string {
  return escapeHtml(flatten(text));
}

/** Code span that survives backticks in the content. */
export function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${flatten(text)}${pad}${fence}`;
}

export type Align = 'left' | 'right';

export function table(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  align?: readonly Align[],
): string {
  const line = (cells: readonly string[]) => `| ${cells.map(escapeCell).join(' | ')} |`;
  const rule = `|${headers.map((_, i) => (align?.[i] === 'right' ? '---:' : '---')).join('|')}|`;
  return [line(headers), rule, ...rows.map(line)].join('\n');
}
