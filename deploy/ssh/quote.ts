/**
 * Quoting for commands run on a device: SSH hands the remote side one string, which the user's
 * login shell parses. POSIX single quotes take everything literally except the quote itself,
 * which is closed, escaped and reopened: it's → 'it'\''s'.
 */
export function shellQuote(args: string[]): string {
  return args.map(quoteOne).join(' ');
}

// Words made only of these need no quotes in any POSIX shell (no globbing, expansion or splitting;
// no '=', which would make a first word an assignment).
const PLAIN = /^[A-Za-z0-9_@%+:,./-]+$/;

function quoteOne(arg: string): string {
  if (arg.includes('\0')) throw new TypeError(`a command argument cannot hold a NUL byte: ${JSON.stringify(arg)}`);
  if (PLAIN.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}
