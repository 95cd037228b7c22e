/**
 * The system time zone as an IANA name. systemd (`timedatectl set-timezone`) and
 * `dpkg-reconfigure tzdata` both make `/etc/localtime` a symlink into the zoneinfo tree, so the
 * link target names the zone; `/etc/timezone` is Debian's older plain-text record of it.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** "Europe/London" from "/usr/share/zoneinfo/Europe/London" or "../usr/share/zoneinfo/posix/Europe/London". */
export function zoneFromLinkTarget(target: string): string | undefined {
  const at = target.lastIndexOf('zoneinfo/');
  if (at < 0) return undefined;
  // The posix/ and right/ trees hold the same zones with and without leap seconds.
  const zone = target.slice(at + 'zoneinfo/'.length).replace(/^(posix|right)\//, '');
  return isZoneName(zone) ? zone : undefined;
}

/** `/etc/timezone`: the zone name on the first non-empty line. */
export function zoneFromTimezoneFile(text: string): string | undefined {
  const first = text.split('\n').map((l) => l.trim()).find((l) => l !== '' && !l.startsWith('#'));
  return first !== undefined && isZoneName(first) ? first : undefined;
}

/** A plausible IANA name: path segments of letters, digits, "_", "-", "+"; nothing to escape the tree. */
function isZoneName(zone: string): boolean {
  return /^[A-Za-z0-9_+-]+(\/[A-Za-z0-9_+-]+)*$/.test(zone);
}

/** The zone configured under `root`; "UTC" when neither file names one (the kernel's own default). */
export function readSystemZone(root: string): string {
  try {
    const zone = zoneFromLinkTarget(readlinkSync(join(root, 'etc/localtime')));
    if (zone) return zone;
  } catch {
    // Absent, or a copied file rather than a link (common in containers): try /etc/timezone.
  }
  try {
    const zone = zoneFromTimezoneFile(readFileSync(join(root, 'etc/timezone'), 'utf8'));
    if (zone) return zone;
  } catch {
    // Absent: fall through to UTC.
  }
  return 'UTC';
}
