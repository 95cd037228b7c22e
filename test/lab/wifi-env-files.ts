/**
 * The files the Wi-Fi lab (wifi-env.ts) writes for the programs it starts: the AP's HTTP server,
 * and the configurations of udhcpd, hostapd, NetworkManager and the phone's wpa_supplicant. Kept
 * apart so wifi-env.ts reads as the steps of bringing the lab up; the texts are the same ones
 * whatever the test, only the values passed in change.
 */

/**
 * The HTTP server in the AP's namespace; reads the mode file on every request, so a test switches
 * it by writing the file. Its arguments: the mode file and the request log.
 */
export function httpServerScript(address: string, user: string, password: string): string {
  return `
import { createServer } from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
const modeFile = process.argv[2];
const log = process.argv[3];
const mode = () => { try { return readFileSync(modeFile, 'utf8').trim(); } catch { return 'open'; } };
const note = (line) => { try { writeFileSync(log, line + '\\n', { flag: 'a' }); } catch {} };
createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    const path = (req.url || '/').split('?')[0];
    note(new Date().toISOString() + ' ' + req.method + ' ' + req.url + ' mode=' + mode());
    if (req.method === 'GET' && path === '/generate_204') {
      if (mode() === 'captive') { res.writeHead(302, { Location: 'http://${address}/portal', 'Content-Length': '0' }); return res.end(); }
      res.writeHead(204); return res.end();
    }
    if (req.method === 'GET' && path === '/portal') {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      return res.end('<form method="post" action="/portal/login"><input name="user"><input name="password" type="password"></form>');
    }
    if (req.method === 'POST' && path === '/portal/login') {
      const form = new URLSearchParams(body);
      if (form.get('user') === '${user}' && form.get('password') === '${password}') {
        writeFileSync(modeFile, 'open');
        res.writeHead(200, { 'Content-Type': 'text/plain' }); return res.end('logged in');
      }
      res.writeHead(403, { 'Content-Type': 'text/plain' }); return res.end('wrong login');
    }
    res.writeHead(404); res.end();
  });
}).listen(80, '0.0.0.0', () => note('listening'));
`;
}

/** udhcpd: a small pool, leases in the lab's directory. */
export function udhcpdConf(iface: string, dir: string, address: string): string {
  return [`interface ${iface}`, 'start 10.42.7.100', 'end 10.42.7.150', `lease_file ${dir}/udhcpd.leases`, `pidfile ${dir}/udhcpd.pid`, 'option subnet 255.255.255.0', `option router ${address}`, `option dns ${address}`, 'option lease 3600', ''].join('\n');
}

export interface HostapdSettings {
  ssid: string;
  passphrase: string;
  channel: number;
  extra: { ssid: string; passphrase?: string }[];
}

/** One network's lines: the SSID as hex (any bytes are fine), WPA2-PSK with a passphrase, open without. */
const bssLines = (ssid: string, passphrase: string | undefined) => [
  `ssid2=${Buffer.from(ssid, 'utf8').toString('hex')}`,
  'utf8_ssid=1',
  ...(passphrase !== undefined ? ['wpa=2', `wpa_passphrase=${passphrase}`, 'wpa_key_mgmt=WPA-PSK', 'rsn_pairwise=CCMP'] : []),
];

/** hostapd on radio A: the main network, then each extra one as a BSS of its own. */
export function hostapdConf(iface: string, dir: string, apOptions: HostapdSettings): string {
  return [
    `interface=${iface}`,
    'driver=nl80211',
    `ctrl_interface=${dir}/hostapd`,
    'hw_mode=g',
    `channel=${apOptions.channel}`,
    ...bssLines(apOptions.ssid, apOptions.passphrase),
    ...apOptions.extra.flatMap((bss, i) => [`bss=${iface.slice(0, 12)}_${i + 1}`, ...bssLines(bss.ssid, bss.passphrase)]),
    '',
  ].join('\n');
}

/**
 * NetworkManager with only our file: keyfile profiles in our directory, radio B the only device
 * it manages, its connectivity check aimed at the AP's HTTP server (an empty `response` means
 * "expect 204"), no firewall (no iptables/nft in the image; only the hotspot's NAT needs it),
 * no DNS changes (the guest's resolv.conf is the host's), no polkit (everything runs as root).
 */
export function networkManagerConf(dir: string, clientIface: string, connectivityUri: string, intervalSec: number): string {
  return [
    '[main]',
    'plugins=keyfile',
    'dhcp=internal',
    'dns=none',
    'rc-manager=unmanaged',
    'auth-polkit=false',
    'firewall-backend=none',
    '[keyfile]',
    `path=${dir}/nm/connections`,
    `unmanaged-devices=except:interface-name:${clientIface}`,
    '[device]',
    'wifi.scan-rand-mac-address=no',
    '[connectivity]',
    'enabled=true',
    `uri=${connectivityUri}`,
    'response=',
    `interval=${intervalSec}`,
    '',
  ].join('\n');
}

/** The phone's wpa_supplicant: one network; `freq` limits its scans to one channel. */
export function phoneSupplicantConf(ctrlDir: string, ssid: string, passphrase: string, freq: string | undefined): string {
  return [
    `ctrl_interface=${ctrlDir}`,
    ...(freq ? [`freq_list=${freq}`] : []),
    'network={',
    ` ssid=${Buffer.from(ssid, 'utf8').toString('hex')}`,
    ` psk="${passphrase}"`,
    ' key_mgmt=WPA-PSK',
    ' scan_ssid=1',
    ...(freq ? [` scan_freq=${freq}`] : []),
    '}',
    '',
  ].join('\n');
}
