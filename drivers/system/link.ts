/**
 * What kind of link an interface is, from sysfs and its name. It decides `metered`: a cellular
 * link is billed by volume, so FreeNetworkAvailable must not hold on it.
 */
import { existsSync, readlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { LinkKind } from './system.js';

/**
 * USB modem drivers that present a network interface with an Ethernet-like name (wwan0 is
 * common, but cdc_mbim and huawei_cdc_ncm modems can come up as usb0 or eth1).
 */
const CELLULAR_DRIVERS = new Set(['qmi_wwan', 'cdc_mbim', 'option', 'huawei_cdc_ncm', 'sierra_net']);

export function linkKind(root: string, iface: string): LinkKind {
  const dir = join(root, 'sys/class/net', iface);
  if (existsSync(join(dir, 'wireless')) || existsSync(join(dir, 'phy80211'))) return 'wifi';
  if (/^(ppp|wwan|rmnet)/.test(iface)) return 'cellular';
  let driver: string | undefined;
  try {
    driver = basename(readlinkSync(join(dir, 'device/driver')));
  } catch {
    // Virtual interfaces (bridges, tunnels, ppp) have no device; that is not an error.
  }
  if (driver !== undefined && CELLULAR_DRIVERS.has(driver)) return 'cellular';
  if (/^(eth|en)/.test(iface)) return 'ethernet'; // eth0, enp1s0, end0 (Pi 5 on Bookworm)
  if (/^wl/.test(iface)) return 'wifi'; // a wireless name whose sysfs entry was not readable
  return 'other';
}
