/** Plain-text tables and values for the admin CLI's human output. */

// Uuids, payloads and reasons come from clients: a newline or an escape sequence in one must not
// break a table's lines or drive the terminal, so control characters are shown escaped.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Text with its control characters escaped as JSON would, safe to print on one line. */
export function printable(text: string): string {
  return CONTROL.test(text) ? JSON.stringify(text).slice(1, -1) : text;
}

/** One cell's text: `-` for nothing, other values as JSON, printable. */
export function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  return printable(typeof value === 'string' ? value : JSON.stringify(value));
}

/**
 * Columns aligned with two spaces between them, a header first; the last column is not padded
 * so no line ends in spaces. `empty` is printed instead when there are no rows.
 */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[], empty: string): string {
  if (rows.length === 0) return `${empty}\n`;
  const lines = [header, ...rows.map((row) => row.map(cell))];
  const widths = header.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)));
  return lines.map((line) => line.map((text, i) => (i === line.length - 1 ? text : text.padEnd(widths[i] ?? 0))).join('  ')).join('\n') + '\n';
}

/** `field  value` lines, the fields aligned, for a single record. */
export function block(fields: readonly (readonly [string, unknown])[]): string {
  const width = Math.max(...fields.map(([name]) => name.length));
  return fields.map(([name, value]) => `${name.padEnd(width)}  ${cell(value)}`).join('\n') + '\n';
}

/** `1 session`, `2 sessions`. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
