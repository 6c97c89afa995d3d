#!/usr/bin/env bash
# leased as a server under test for the bench harness in ../../shared/bench,
# in the harness's server.sh convention (like its kea.sh):
#
#   ./leased.sh build                 build leased into $STATE_DIR/leased/leased
#   ./leased.sh start [KEY=VALUE...]  write the config, wipe the leases, start
#   ./leased.sh stop
#   ./leased.sh status
#   ./leased.sh config                print the generated config only
#
# The config serves srv0 with the harness's two subnets (192.0.2.0/24 for
# attached clients, 198.18.0.0/16 for perfdhcp's relayed load) and the same
# lifetimes and options as kea.sh's, with leases in a memfile journal
# (persist: true, every ACK fsynced before it leaves). Every start removes
# the lease files first, so each sweep point starts from an empty database.
#
# Environment:
#   LEASED_BIN       the binary (default $STATE_DIR/leased/leased, built from
#                    this checkout by `build`, or by `start` when missing)
#   LEASED_PROFILE   if set, the CPU profile is written to this file
#                    (LEASED_CPUPROFILE of `leased serve`)
#   LEASED_PERSIST   true (default) or false (leases in memory only)
#   BENCH_DIR        the harness (default ../../shared/bench from here)
#   LEASED_GOMAXPROCS, LEASED_GODEBUG  passed to the server as GOMAXPROCS
#                    and GODEBUG when set
#   LEASED_ENV       more VAR=value words for the server's environment
#   LEASED_SRC       the source tree `build` builds (default: this checkout)
#
# Use from the harness directory:
#   L=/work/main/bench/leased.sh
#   ./sweep.sh -n leased -s "$L start" -k "$L stop" -r '8000 16000 24000' -o /tmp/out
#   ./cpu.sh -n leased -N leased -s "$L start" -k "$L stop" -o /tmp/out
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=${LEASED_SRC:-$(cd "$here/.." && pwd)}
BENCH_DIR=${BENCH_DIR:-$(cd "$here/../../shared/bench" 2>/dev/null && pwd || echo /work/shared/bench)}
. "$BENCH_DIR/lib.sh"

dir="$STATE_DIR/leased"
conf="$dir/leased.json"
LEASED_BIN=${LEASED_BIN:-$dir/leased}
LEASED_PERSIST=${LEASED_PERSIST:-true}

gen_config() {
    cat <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ] },
    "lease-database": {
      "type": "memfile",
      "persist": $LEASED_PERSIST,
      "name": "$dir/leases",
      "lfc-interval": 0
    },
    "valid-lifetime": 7200,
    "renew-timer": 1800,
    "rebind-timer": 3600,
    "option-data": [
      { "name": "domain-name-servers", "data": "$SRV_ADDR" }
    ],
    "subnet4": [
      {
        "id": 1,
        "subnet": "$DIRECT_NET",
        "interface": "$SRV_IF",
        "pools": [ { "pool": "$DIRECT_POOL_LO - $DIRECT_POOL_HI" } ],
        "option-data": [ { "name": "routers", "data": "$SRV_ADDR" } ]
      },
      {
        "id": 2,
        "subnet": "$RELAY_NET",
        "pools": [ { "pool": "$RELAY_POOL_LO - $RELAY_POOL_HI" } ],
        "option-data": [ { "name": "routers", "data": "$RELAY_ADDR" } ]
      }
    ]
  }
}
JSON
}

build() {
    mkdir -p "$dir"
    (cd "$repo" && go build -o "$LEASED_BIN.new" ./cmd/leased) && mv "$LEASED_BIN.new" "$LEASED_BIN"
    log "built $LEASED_BIN from $repo ($(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo snapshot)$(cd "$repo" && git diff --quiet -- . 2>/dev/null || echo +dirty))"
}

cmd=${1:-}; shift || true
case "$cmd" in
build) build ;;
start)
    need_root
    mkdir -p "$dir"
    [ -x "$LEASED_BIN" ] || build
    "$BENCH_DIR/server.sh" stop -n leased
    rm -f "$dir"/leases "$dir"/leases.*
    gen_config >"$conf"
    env=()
    [ -n "${LEASED_PROFILE:-}" ] && env+=("LEASED_CPUPROFILE=$LEASED_PROFILE")
    [ -n "${LEASED_GOMAXPROCS:-}" ] && env+=("GOMAXPROCS=$LEASED_GOMAXPROCS")
    [ -n "${LEASED_GODEBUG:-}" ] && env+=("GODEBUG=$LEASED_GODEBUG")
    # shellcheck disable=SC2206
    [ -n "${LEASED_ENV:-}" ] && env+=($LEASED_ENV)
    "$BENCH_DIR/server.sh" start -n leased -- env "${env[@]}" "$LEASED_BIN" serve -c "$conf"
    echo "leased running; config $conf; leases $dir/leases" >&2
    ;;
stop) "$BENCH_DIR/server.sh" stop -n leased ;;
status) "$BENCH_DIR/server.sh" status -n leased ;;
config) gen_config ;;
*) echo "usage: $0 build | start | stop | status | config" >&2; exit 2 ;;
esac
