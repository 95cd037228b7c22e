/**
 * nmcli's terse output (-t): one record per line, fields separated by ':', with ':' and '\'
 * inside a value escaped by a backslash. SSIDs may hold either, so fields are split by reading
 * the escapes, never with split(':').
 */

/** Split one terse line into its fields, unescaping "\:" and "\\". */
export function splitTerse(line: string): string[] {
  const fields: string[] = [];
  let cur = '';
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (c === '\\' && i + 1 < line.length) {
      cur += line[++i]!;
    } else if (c === ':') {
      fields.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  fields.push(cur);
  return fields;
}

/** Escape a value the way nmcli does in terse mode. */
export function escapeTerse(value: string): string {
  return value.replace(/[\\:]/g, (c) => `\\${c}`);
}

/** One terse line from values (what nmcli prints for a record). */
export function joinTerse(values: readonly string[]): string {
  return values.map(escapeTerse).join(':');
}
