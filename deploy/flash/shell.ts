/** Quoting for the shell scripts flash writes: single quotes, so nothing inside is expanded. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}
