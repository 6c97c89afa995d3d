#!/usr/bin/env bash
# Installs, from Debian 12's archive, what bench/run drives: perfdhcp (in
# kea-admin), kea-dhcp4 (kea-dhcp4-server), kea-ctrl-agent and curl (for
# bench/run ha's pairs) and dnsmasq (dnsmasq-base, the
# binary without its service). Packages already present are left alone.
#
#   sudo bench/deps.sh
#
# kea-dhcp4-server ships a service. While apt-get runs, a policy-rc.d that
# answers 101 ("action forbidden") is put in place unless one exists, so
# that installing starts nothing on the host; the harness only ever runs
# the servers inside network namespaces it creates itself.
set -euo pipefail

packages=(kea-admin kea-dhcp4-server kea-ctrl-agent dnsmasq-base iproute2 procps curl)

[ "$(id -u)" -eq 0 ] || { echo "bench/deps.sh: must run as root" >&2; exit 1; }

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
    echo "bench/deps.sh: present: ${packages[*]}"
    exit 0
fi
command -v apt-get >/dev/null || {
    echo "bench/deps.sh: not a Debian system; install ${missing[*]} yourself" >&2
    exit 1
}

policy=/usr/sbin/policy-rc.d
own_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# bench/deps.sh: no service starts while it installs packages\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
fi
remove_policy() { if [ "$own_policy" = 1 ]; then rm -f "$policy"; fi; }
trap remove_policy EXIT

export DEBIAN_FRONTEND=noninteractive
echo "bench/deps.sh: installing ${missing[*]}"
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}"; then
    # Stale package lists: refresh once and try again.
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
