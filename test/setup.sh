#!/bin/bash
# System tools the tests need beyond Node: socat (the modem simulator's pseudo-terminal), nmcli,
# sshd and ssh (deploy and remote logs against real servers), and the tools that build and read
# disk images for the flash tests (sfdisk, mkfs.vfat, mtools, mkfs.ext4/debugfs).
# Installs what is missing when it can (root with apt-get); otherwise fails with what to do.
set -uo pipefail
missing=()
command -v socat >/dev/null || missing+=(socat)
# nmcli: the Wi-Fi driver tests run the real one against no NetworkManager (its "not running" answer).
command -v nmcli >/dev/null || missing+=(network-manager)
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null || missing+=(openssh-server)
command -v ssh-keygen >/dev/null && command -v scp >/dev/null || missing+=(openssh-client)
command -v mcopy >/dev/null || missing+=(mtools)
command -v mkfs.vfat >/dev/null || missing+=(dosfstools)
command -v sfdisk >/dev/null || missing+=(fdisk)
command -v mkfs.ext4 >/dev/null && command -v debugfs >/dev/null || missing+=(e2fsprogs)
[ ${#missing[@]} -eq 0 ] && exit 0
fail() { echo "test setup: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || fail "${missing[*]} not installed and installing needs root: run 'sudo apt-get install ${missing[*]}' (or the tests as root)"
command -v apt-get >/dev/null || fail "${missing[*]} not installed and there is no apt-get here: install ${missing[*]} with the system's package manager"
echo "test setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update >/dev/null 2>&1 && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; } \
  || fail "apt-get install ${missing[*]} failed"
for tool in socat nmcli ssh-keygen scp mcopy mkfs.vfat sfdisk mkfs.ext4 debugfs; do command -v "$tool" >/dev/null || fail "$tool is still missing after apt-get"; done
[ -x /usr/sbin/sshd ] || command -v sshd >/dev/null || fail "sshd is still missing after apt-get install openssh-server"
