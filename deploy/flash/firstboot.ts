/**
 * The vigil part of first boot, the same for both mechanisms: `vigil/firstboot.sh` on the boot
 * partition, next to the vigil package (and the device config, if given).
 *
 * It runs in two steps because the first one cannot have a network: firstrun.sh runs before
 * networking is up (systemd.unit=kernel-command-line.target), and cloud-init's runcmd should not
 * hold up the boot for a download. `stage` copies the directory off the boot partition (the
 * package and config do not stay on a FAT partition anyone can read) and enables the
 * vigil-firstboot service; the service runs `install` once the network and the clock are there:
 * Node.js 20+ (Debian's when it is new enough, as on Trixie, else NodeSource's), vigil from the
 * package, i2c-dev, then `vigil install` (the vigil account and its groups, the config, the
 * service, enabled and started). When that worked the service removes itself; when it failed it
 * tries again a minute later (five times an hour) and on every boot. Every step checks what is
 * already done, so running it again is safe. All of it is logged to /var/log/vigil-firstboot.log.
 */
import type { BootDir } from './detect.js';

export const FIRSTBOOT_DIR = 'vigil';
export const FIRSTBOOT_SCRIPT = 'firstboot.sh';
export const PACKAGE_FILE = 'vigil.tgz';
export const CONFIG_FILE = 'config.json';
export const FIRSTBOOT_LOG = '/var/log/vigil-firstboot.log';
export const NODE_MAJOR_MIN = 20;
/** The NodeSource line used when Debian's nodejs is older than NODE_MAJOR_MIN (Bookworm has 18). */
export const NODESOURCE_MAJOR = 22;

export interface FirstbootOptions {
  i2c: boolean;
}

/** The command that stages the first-boot step from a boot partition mounted at `bootDir`. */
export function stageCommand(bootDir: BootDir, now: boolean): string[] {
  return ['bash', `${bootDir}/${FIRSTBOOT_DIR}/${FIRSTBOOT_SCRIPT}`, 'stage', bootDir, ...(now ? ['now'] : [])];
}

export function firstbootScript(options: FirstbootOptions): string {
  return `#!/bin/bash
# vigil's first boot, written by \`vigil flash\`.
#   firstboot.sh stage BOOT_DIR [now]  copy this directory off the boot partition and enable the
#                                      vigil-firstboot service (run by firstrun.sh or cloud-init)
#   firstboot.sh install               what the service runs once the network is up
# Safe to run again. Log: ${FIRSTBOOT_LOG}
set -u
# Every file it writes lies under ROOT: "" on the device, a scratch tree when exercised elsewhere.
ROOT=\${VIGIL_FIRSTBOOT_ROOT:-}
LOG=$ROOT${FIRSTBOOT_LOG}
STATE=$ROOT/var/lib/vigil-firstboot
UNIT=$ROOT/etc/systemd/system/vigil-firstboot.service
NODE_MAJOR_MIN=${NODE_MAJOR_MIN}
NODESOURCE_MAJOR=${NODESOURCE_MAJOR}
ENABLE_I2C=${options.i2c ? 1 : 0}

exec >>"$LOG" 2>&1
log() { echo "$(date '+%F %T') vigil-firstboot: $*"; }
fail() { log "FAILED: $*"; exit 1; }

stage() {
  local boot=$1 src="$1/${FIRSTBOOT_DIR}"
  if [ -d "$src" ]; then
    install -d -m 0700 "$STATE" || fail "cannot create $STATE"
    cp -f "$src"/* "$STATE"/ || fail "cannot copy $src to $STATE"
  elif [ ! -f "$STATE/${FIRSTBOOT_SCRIPT}" ]; then
    fail "neither $src nor $STATE holds ${FIRSTBOOT_SCRIPT}"
  fi
  cat >"$UNIT" <<'UNIT_END'
[Unit]
Description=vigil first boot: install Node.js, vigil and its service
Wants=network-online.target
After=network-online.target time-sync.target
ConditionPathExists=/var/lib/vigil-firstboot/${FIRSTBOOT_SCRIPT}
StartLimitIntervalSec=1h
StartLimitBurst=5

[Service]
Type=oneshot
ExecStart=/bin/bash /var/lib/vigil-firstboot/${FIRSTBOOT_SCRIPT} install
Restart=on-failure
RestartSec=60
TimeoutStartSec=infinity

[Install]
WantedBy=multi-user.target
UNIT_END
  systemctl enable vigil-firstboot.service || fail "cannot enable vigil-firstboot.service"
  rm -rf "$src"
  log "staged from $boot; vigil-firstboot.service installs vigil once the network is up"
  if [ "\${2:-}" = now ]; then systemctl start --no-block vigil-firstboot.service; fi
}

node_major() {
  command -v node >/dev/null || { echo 0; return; }
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

wait_for_network() {
  local i
  for i in $(seq 1 60); do
    getent ahosts deb.debian.org >/dev/null && return 0
    [ "$i" = 1 ] && log "waiting for the network"
    sleep 5
  done
  fail "no network after 5 minutes"
}

# No RTC on a Pi: until NTP has set the clock, TLS and apt's Release dates can look wrong.
wait_for_clock() {
  local i
  for i in $(seq 1 30); do
    [ "$(timedatectl show -p NTPSynchronized --value 2>/dev/null)" = yes ] && return 0
    sleep 2
  done
  log "the clock is not synchronised yet; going on"
}

apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" || fail "apt-get install $* failed"
}

ensure_node() {
  if [ "$(node_major)" -ge "$NODE_MAJOR_MIN" ]; then log "Node.js $(node --version) is installed"; return; fi
  apt-get update || fail "apt-get update failed"
  local candidate
  candidate=$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *\\([0-9]*:\\)\\{0,1\\}\\([0-9][0-9]*\\)\\..*/\\2/p' | head -n 1)
  if [ "\${candidate:-0}" -ge "$NODE_MAJOR_MIN" ]; then
    log "installing Node.js $candidate from the distribution"
    apt_install nodejs npm
  else
    log "the distribution has Node.js \${candidate:-none}; installing Node.js $NODESOURCE_MAJOR from NodeSource"
    apt_install ca-certificates curl gnupg
    install -d -m 0755 "$ROOT/etc/apt/keyrings" "$ROOT/etc/apt/sources.list.d"
    curl -fsSL https://deb.nodesource.com/gpgkey/nodesource-repo.gpg.key | gpg --dearmor --yes -o "$ROOT/etc/apt/keyrings/nodesource.gpg" \\
      || fail "cannot fetch NodeSource's signing key"
    echo "deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_$NODESOURCE_MAJOR.x nodistro main" >"$ROOT/etc/apt/sources.list.d/nodesource.list"
    apt-get update || fail "apt-get update failed (with NodeSource)"
    apt_install nodejs
  fi
  [ "$(node_major)" -ge "$NODE_MAJOR_MIN" ] || fail "Node.js $NODE_MAJOR_MIN or later is still not installed"
  log "Node.js $(node --version) installed"
}

install_vigil() {
  log "installing (attempt started)"
  wait_for_network
  wait_for_clock
  ensure_node
  # i2c-bus and onoff are native modules, built on the device.
  if ! { command -v g++ && command -v make && command -v python3; } >/dev/null; then
    apt-get update || fail "apt-get update failed"
    apt_install g++ make python3
  fi
  log "installing vigil from $STATE/${PACKAGE_FILE}"
  (cd "$STATE" && npm install --global --omit=dev --no-audit --no-fund "$STATE/${PACKAGE_FILE}") || fail "npm install of the vigil package failed"
  if [ "$ENABLE_I2C" = 1 ]; then
    install -d "$ROOT/etc/modules-load.d"
    echo i2c-dev >"$ROOT/etc/modules-load.d/vigil-i2c.conf"
    modprobe i2c-dev || log "i2c-dev is not loaded yet (it will be after a reboot)"
  fi
  local vigil
  vigil=$(command -v vigil) || fail "the vigil command is not on PATH after npm install"
  # vigil install makes the vigil account and its groups (gpio i2c dialout bluetooth netdev),
  # /var/lib/vigil, /etc/vigil/config.json and the service, and starts it. The config given to
  # flash is the device's config, so it replaces one a failed earlier attempt may have left.
  if [ -f "$STATE/${CONFIG_FILE}" ]; then
    "$vigil" install --config "$STATE/${CONFIG_FILE}" --force-config || fail "vigil install --config failed"
  else
    "$vigil" install || fail "vigil install failed"
  fi
  systemctl disable vigil-firstboot.service
  rm -f "$UNIT"
  rm -rf "$STATE"
  systemctl daemon-reload
  log "done: vigil $("$vigil" --version 2>/dev/null) is installed and its service running"
}

case "\${1:-}" in
  stage) stage "\${2:?stage needs the boot directory}" "\${3:-}" ;;
  install) install_vigil ;;
  *) echo "usage: $0 stage BOOT_DIR [now] | install" >&2; exit 2 ;;
esac
`;
}
