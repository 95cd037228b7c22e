/**
 * `vigil flash TARGET …`: prepares a Raspberry Pi OS image file or SD card for a first boot
 * without a screen, and for vigil (deploy/flash/flash.ts does the work). Progress goes to stderr,
 * one line per step (one rewritten line on a terminal); the result goes to stdout.
 */
import { Command } from 'commander';
import { flash, formatBytes, type FlashResult } from '../deploy/flash/flash.js';
import { FIRSTBOOT_LOG } from '../deploy/flash/firstboot.js';
import { resolveSettings, type FlashOptions } from '../deploy/flash/settings.js';

interface CommandOptions extends FlashOptions {
  vigilPackage?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function flashCommand(): Command {
  return new Command('flash')
    .description('prepare a Raspberry Pi OS image or SD card for its first boot: host name, login, Wi-Fi, locale, I2C/UART, and vigil installed as a service')
    .argument('<target>', 'a Raspberry Pi OS image file (e.g. raspios.img, already decompressed) or a whole disk (e.g. /dev/sdb)')
    .option('--hostname <name>', 'host name of the Pi (required)')
    .option('--user <name>', 'the account to log in with (required)')
    .option('--password-hash <hash>', "the account's password as a crypt(3) hash (openssl passwd -6)")
    .option('--password-file <file>', "a file whose first line is the account's password; it is hashed here (SHA-512 crypt)")
    .option('--ssh-key <pubfile>', 'an OpenSSH public key file allowed to log in (repeatable)', collect)
    .option('--wifi-ssid <ssid>', 'the Wi-Fi network to join (needs --wifi-country and a password)')
    .option('--wifi-password-file <file>', "a file whose first line is the Wi-Fi passphrase")
    .option('--wifi-password <passphrase>', 'the Wi-Fi passphrase (visible to other users in ps; prefer --wifi-password-file)')
    .option('--wifi-country <cc>', 'the Wi-Fi regulatory country, two letters (GB, DE, US)')
    .option('--wifi-hidden', 'the network does not broadcast its name')
    .option('--timezone <zone>', 'time zone, e.g. Europe/Berlin')
    .option('--locale <locale>', 'system locale, e.g. en_GB.UTF-8')
    .option('--keyboard <layout>', 'console keyboard layout, e.g. gb, de, us')
    .option('--i2c', 'enable the I2C bus on GPIO 2/3 (dtparam=i2c_arm=on, i2c-dev loaded)')
    .option('--uart', 'enable the UART on GPIO 14/15 for a modem or GNSS (enable_uart=1) and take the serial console off it')
    .option('--config <file>', "vigil's device configuration to install as /etc/vigil/config.json (checked here first)")
    .option('--vigil-package <tgz>', 'the vigil package to install (an `npm pack` tarball); default: pack the running vigil')
    .option('--json', 'print the result as JSON: mode, boot partition, and every file written with its size and sha256')
    .addHelpText(
      'after',
      `
TARGET is an image file (no root needed) or a whole disk (root needed). A disk is refused when
any of its partitions is mounted or used as swap, when it holds / or /boot (the system disk), and
when a partition such as /dev/sdb1 is given instead of the disk. Only the FAT boot partition is
written, through mtools (apt-get install mtools); the root filesystem is only read (debugfs).

What is written depends on the image. Images from 2025 on (Trixie) use cloud-init: user-data,
network-config and a fresh meta-data instance-id. Earlier images (Bookworm) get firstrun.sh,
named on cmdline.txt and run once, with userconf.txt and ssh. Either way vigil/ holds the vigil
package and firstboot.sh: once the Pi is on the network it installs Node.js 20+ (Debian's, or
NodeSource's where Debian's is older) and vigil, then runs \`vigil install\` (the vigil account
in groups gpio i2c dialout bluetooth netdev, the config, the service, started). It logs to
${FIRSTBOOT_LOG}, retries until it works, then removes itself.

A password given in a file is hashed here; the Wi-Fi passphrase is turned into its PSK here. With
an SSH key, password logins over SSH are turned off. --i2c and --uart add lines under [all] in
config.txt (and --uart takes console=serial0 off cmdline.txt); a later flash without them does
not take them back. Running flash again with the same options gives the same files (except
meta-data's instance-id, new each time so cloud-init runs again). Every file written is read back
and compared.

Example:
  vigil flash 2025-10-01-raspios-trixie-arm64-lite.img --hostname greenhouse --user pi \\
    --ssh-key ~/.ssh/id_ed25519.pub --wifi-ssid Home --wifi-password-file wifi.txt \\
    --wifi-country GB --timezone Europe/London --i2c --config greenhouse.json
`,
    )
    .action(async (target: string, options: CommandOptions) => {
      const settings = resolveSettings(options);
      const progress = new Progress(process.stderr);
      const controller = new AbortController();
      const stop = () => controller.abort();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let result: FlashResult;
      try {
        result = await flash({
          target,
          settings,
          ...(options.vigilPackage !== undefined ? { vigilPackage: options.vigilPackage } : {}),
          signal: controller.signal,
          onStep: (message) => progress.step(message),
        });
      } finally {
        progress.end();
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
      }
      process.stdout.write(options.json ? `${JSON.stringify(result, null, 2)}\n` : summary(result));
    });
}

function summary(result: FlashResult): string {
  const width = Math.max(...result.files.map((f) => f.path.length));
  const lines = [
    `${result.target}: ready for first boot by ${result.mode}; ${result.files.length} files written to the boot partition and verified`,
    ...result.files.map((f) => `  ${f.path.padEnd(width)}  ${formatBytes(f.size).padStart(8)}  ${f.sha256.slice(0, 16)}`),
    ...(result.removed.length ? [`  removed from an earlier flash: ${result.removed.join(', ')}`] : []),
    `On first boot the Pi installs vigil ${result.vigil.version} once it is on the network; see ${FIRSTBOOT_LOG} there.`,
  ];
  return `${lines.join('\n')}\n`;
}

/** One line per step; on a terminal, one line rewritten in place. */
class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  #shown = false;

  constructor(out: NodeJS.WriteStream) {
    this.#out = out;
    this.#tty = Boolean(out.isTTY);
  }

  step(message: string): void {
    if (!this.#tty) {
      this.#out.write(`vigil flash: ${message}\n`);
      return;
    }
    const columns = this.#out.columns || 80;
    const line = `vigil flash: ${message}`;
    this.#out.write(`\r\x1b[K${line.length > columns - 1 ? `${line.slice(0, columns - 2)}…` : line}`);
    this.#shown = true;
  }

  end(): void {
    if (this.#shown) this.#out.write('\n');
    this.#shown = false;
  }
}
