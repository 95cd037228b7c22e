#!/bin/bash
# Real-kernel tests: boots Debian's kernel under QEMU with gpio-sim, i2c-stub, hci_vhci and
# mac80211_hwsim (the lab recipe in ../shared/lab), and runs test/lab/*.lab.ts inside it against
# the real onoff, i2c-bus, noble and bleno bindings and a real NetworkManager. Builds the lab on
# first use (root: installs its packages with apt-get); fails with a clear message when it cannot,
# never skips.
#   usage: test/lab/run.sh [FILE.lab.ts ...]      env: VIGIL_LAB_DIR (default ~/.cache/vigil-lab)
set -uo pipefail
PROJECT=$(cd "$(dirname "$0")/../.." && pwd)
RECIPE=$(realpath -m "$PROJECT/../shared/lab")
LAB=${VIGIL_LAB_DIR:-$HOME/.cache/vigil-lab}
fail() { echo "test:lab: $*" >&2; exit 1; }

[ -x "$RECIPE/build.sh" ] || [ -f "$RECIPE/build.sh" ] || fail "the lab recipe is missing: expected $RECIPE/build.sh (the shared folder beside the project)"
built() { [ -f "$LAB/vmlinux" ] && [ -f "$LAB/initramfs.cpio.gz" ] && [ -f "$LAB/kroot/lib/modules/$(cat "$LAB/kernel-version" 2>/dev/null)/extra/gpio-sim.ko" ] && command -v qemu-system-x86_64 >/dev/null && command -v i2cdetect >/dev/null && command -v btvirt >/dev/null; }
if ! built; then
  [ "$(id -u)" = 0 ] || fail "the lab is not built in $LAB and building it needs root (apt-get install qemu-system-x86 linux-headers …): run 'sudo npm run test:lab' once, or set VIGIL_LAB_DIR to a built lab"
  command -v apt-get >/dev/null || fail "building the lab needs apt-get (a Debian host); none found"
  mkdir -p "$LAB"
  echo "test:lab: building the lab in $LAB (first run: packages, kernel download, three modules; about a minute)"
  if ! bash "$RECIPE/build.sh" "$LAB" > "$LAB/build.log" 2>&1; then
    # A fresh machine may have no package lists yet: refresh them once and retry.
    DEBIAN_FRONTEND=noninteractive apt-get update >> "$LAB/build.log" 2>&1
    bash "$RECIPE/build.sh" "$LAB" >> "$LAB/build.log" 2>&1 || { tail -20 "$LAB/build.log" >&2; fail "building the lab failed; the full log is $LAB/build.log"; }
  fi
  built || fail "the lab build finished but $LAB is incomplete (see $LAB/build.log)"
fi
# The Wi-Fi lab (wifi-env.ts) runs the host's NetworkManager and its helpers in the guest; the
# shared recipe installs none of them. dnsmasq-base serves DHCP on NetworkManager's hotspot
# (ipv4.method shared); without it the hotspot hangs in "getting IP configuration".
WIFI_PACKAGES=(network-manager dnsmasq-base dbus udev iw hostapd wpasupplicant busybox)
wifi_ready() { command -v NetworkManager >/dev/null && command -v nmcli >/dev/null && command -v dnsmasq >/dev/null && command -v dbus-daemon >/dev/null && [ -x /lib/systemd/systemd-udevd ] && command -v iw >/dev/null && command -v hostapd >/dev/null && command -v wpa_supplicant >/dev/null && command -v busybox >/dev/null; }
if ! wifi_ready; then
  [ "$(id -u)" = 0 ] || fail "the Wi-Fi lab needs ${WIFI_PACKAGES[*]} on this host and installing them needs root: run 'sudo npm run test:lab' once"
  command -v apt-get >/dev/null || fail "installing the Wi-Fi lab's packages needs apt-get (a Debian host); none found"
  echo "test:lab: installing the Wi-Fi lab's packages (${WIFI_PACKAGES[*]})"
  # Recommends left out: the lab needs neither ModemManager nor ppp, which network-manager recommends.
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${WIFI_PACKAGES[@]}" >> "$LAB/build.log" 2>&1 \
    || { DEBIAN_FRONTEND=noninteractive apt-get update >> "$LAB/build.log" 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${WIFI_PACKAGES[@]}" >> "$LAB/build.log" 2>&1; } \
    || { tail -20 "$LAB/build.log" >&2; fail "installing ${WIFI_PACKAGES[*]} failed; the full log is $LAB/build.log"; }
  wifi_ready || fail "installed ${WIFI_PACKAGES[*]} but a Wi-Fi lab program is still missing (see $LAB/build.log)"
fi

FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=(test/lab/*.lab.ts)
GUEST="$LAB/out/guest-run.sh"
mkdir -p "$LAB/out"
# The guest sees the host's files read-only through 9p; this script is all it needs from us.
cat > "$GUEST" <<GUEST
export VIGIL_LAB=1 VIGIL_LAB_OUT="$LAB/out" NODE_OPTIONS=--no-warnings
cd "$PROJECT" && node --import tsx --test --test-reporter=spec --test-concurrency=1 ${FILES[*]}
GUEST
start=$(date +%s)
LAB_TIMEOUT=${LAB_TIMEOUT:-900} LAB_MEM=${LAB_MEM:-1536} bash "$RECIPE/boot.sh" "$LAB" "$GUEST" "$PROJECT" 2>&1 | grep -v -E '^\[ *[0-9.]+\] (sysrq|reboot)'
rc=${PIPESTATUS[0]}
echo "test:lab: ${#FILES[@]} file(s) in $(( $(date +%s) - start )) s, exit $rc"
[ "$rc" = 125 ] && fail "the guest did not report an exit code (kernel panic or timeout after ${LAB_TIMEOUT:-900} s)"
exit "$rc"
