/**
 * `vigil bundle DIR [-o FILE] [--json]`: check a bundle directory as the runtime will load it and
 * pack it into a reproducible archive for deploying (deploy/bundle.ts has the format). Same
 * content, same bytes: the printed sha256 identifies the bundle wherever it was built.
 */
import { Command } from 'commander';
import { writeBundle } from '../deploy/bundle.js';

export function bundleCommand(): Command {
  return new Command('bundle')
    .description('check a bundle directory and pack it into a reproducible NAME-VERSION.vigil.tgz')
    .argument('<dir>', 'the bundle directory (manifest.json and compiled JavaScript)')
    .option('-o, --output <file>', 'where to write the archive (default: NAME-VERSION.vigil.tgz in the current directory)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
The manifest is checked as the runtime checks it, and every task entry must be JavaScript that
parses (compile TypeScript first). Links pointing outside DIR, device files, FIFOs, sockets and
unreadable files are refused.

Included: everything in DIR, including the bundle's own node_modules (tasks may depend on
packages). Left out: .git, *.log, node_modules/.cache, earlier *.vigil.tgz archives, and the
globs listed in DIR/.vigilignore (one per line; * within a name, ** across directories, a
trailing / for directories only, a leading / or an inner / anchors at DIR; # comments).

The archive is a gzipped ustar tar: SHA256SUMS and BUNDLE.json first, then the files sorted by
path, with normalised modes, owners and times, so the same content gives the same bytes.
`,
    )
    .action((dir: string, options: { output?: string; json?: boolean }) => {
      const built = writeBundle(dir, options.output);
      const result = {
        file: built.file,
        sha256: built.sha256,
        name: built.info.name,
        version: built.info.version,
        files: built.info.files,
        bytes: built.archive.length,
      };
      process.stdout.write(
        options.json ? `${JSON.stringify(result, null, 2)}\n` : `${result.file}  sha256 ${result.sha256}  ${result.files} files  ${result.bytes} bytes\n`,
      );
    });
}
