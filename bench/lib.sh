# shellcheck shell=bash
# The harness's shared part, sourced by bench/run and bench/reload.sh:
# the namespaces, the servers under test, perfdhcp and the parsing of its
# report. Nothing here runs on the host's network: every server and
# perfdhcp run inside two namespaces made by bench_setup and removed at
# exit, and every file lives in one temporary directory removed at exit.
#
#  netns $NS_SRV                          netns $NS_CLI
#  +-------------------------+   veth   +------------------------------+
#  | srv0 192.0.2.1/24       |==========| cli0 192.0.2.2/24            |
#  | route 198.18.0.0/16 dev |          |      198.18.0.1/16 (perfdhcp |
#  |   srv0                  |          |      as a relay agent)       |
#  +-------------------------+          +------------------------------+
#
# perfdhcp speaks DHCPv4 only as a relay agent: giaddr is its own address
# (198.18.0.1) and it sends from and listens on port 67, so every server
# picks the relayed subnet by giaddr and unicasts its replies there.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_DIR/.." && pwd)

# Names unique to this process, so that the harness can run beside the
# project's tests and beside another copy of itself.
NS_SRV=lbs$$
NS_CLI=lbc$$
SRV_IF=srv0
CLI_IF=cli0
SRV_ADDR=192.0.2.1
CLI_ADDR=192.0.2.2
DIRECT_NET=192.0.2.0/24
DIRECT_POOL_LO=192.0.2.100
DIRECT_POOL_HI=192.0.2.199
RELAY_ADDR=198.18.0.1
RELAY_NET=198.18.0.0/16
RELAY_POOL_LO=198.18.1.0
RELAY_POOL_HI=198.18.255.254

# perfdhcp: -d (seconds before an exchange counts as lost) and -W (how
# long it waits for replies after the period, in µs, so that exchanges
# in flight at the end are not counted as lost).
PERF_DROP_TIME=${PERF_DROP_TIME:-1}
PERF_WAIT_US=${PERF_WAIT_US:-1000000}

# WORK is the temporary directory of this run (bench_setup).
WORK=

die() { echo "bench: error: $*" >&2; exit 1; }
log() { echo "[$(date -u +%H:%M:%S)] $*" >&2; }
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (it creates network namespaces)"; }

ip_to_int() {
    local IFS=. a b c d
    read -r a b c d <<<"$1"
    echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

# pid_alive PID: the process runs and is not a zombie.
pid_alive() {
    [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null &&
        ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; this PID only.
stop_pid() {
    local pid=$1 i
    pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do pid_alive "$pid" || return 0; sleep 0.1; done
    log "pid $pid ignored SIGTERM for 5 s ($i checks); SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for _ in $(seq 20); do pid_alive "$pid" || return 0; sleep 0.1; done
}

ns_exists() { ip netns list 2>/dev/null | awk '{ print $1 }' | grep -qx "$1"; }

topo_up() {
    ip netns add "$NS_SRV"
    ip netns add "$NS_CLI"
    # Both ends are born inside their namespaces: nothing appears on the host.
    ip link add "$SRV_IF" netns "$NS_SRV" type veth peer name "$CLI_IF" netns "$NS_CLI"
    ip -n "$NS_SRV" link set lo up
    ip -n "$NS_SRV" addr add "$SRV_ADDR/24" brd + dev "$SRV_IF"
    ip -n "$NS_SRV" link set "$SRV_IF" up
    ip -n "$NS_SRV" route add "$RELAY_NET" dev "$SRV_IF"
    ip -n "$NS_CLI" link set lo up
    ip -n "$NS_CLI" addr add "$CLI_ADDR/24" brd + dev "$CLI_IF"
    ip -n "$NS_CLI" addr add "$RELAY_ADDR/${RELAY_NET#*/}" dev "$CLI_IF"
    ip -n "$NS_CLI" link set "$CLI_IF" up
    # The kernel reports carrier a moment after the link is set up.
    local _
    for _ in $(seq 50); do
        [ "$(ip netns exec "$NS_SRV" cat "/sys/class/net/$SRV_IF/operstate")" = up ] &&
            [ "$(ip netns exec "$NS_CLI" cat "/sys/class/net/$CLI_IF/operstate")" = up ] && return 0
        sleep 0.1
    done
    die "the veth pair $NS_SRV/$SRV_IF - $NS_CLI/$CLI_IF has no carrier after 5 s"
}

topo_down() {
    local ns
    for ns in "$NS_CLI" "$NS_SRV"; do
        if ns_exists "$ns"; then ip netns del "$ns"; fi
    done
}

# bench_setup: the temporary directory and the namespaces, both removed
# by bench_cleanup at exit.
bench_setup() {
    need_root
    WORK=$(mktemp -d /tmp/leased-bench.XXXXXX)
    # dnsmasq runs as nobody and must reach its directory below.
    chmod 711 "$WORK"
    trap bench_cleanup EXIT
    trap 'exit 130' INT TERM
    topo_up
}

bench_cleanup() {
    local f
    if [ -n "$WORK" ] && [ -d "$WORK" ]; then
        for f in "$WORK"/*/server.pid "$WORK"/*/extra.pids; do
            [ -f "$f" ] && for pid in $(cat "$f"); do stop_pid "$pid"; done
        done
    fi
    if declare -F ha_topo_down >/dev/null; then ha_topo_down; fi
    topo_down
    if [ -n "$WORK" ]; then rm -rf "$WORK"; fi
}

# listening NS: something listens on UDP port 67 in NS.
listening() { ip netns exec "$1" ss -Hlun 2>/dev/null | awk '{ print $4 }' | grep -Eq ':67$'; }

# srv_start NAME CMD...: runs CMD in $NS_SRV with its output in
# $WORK/NAME/server.out and its PID in $WORK/NAME/server.pid, and waits
# until it listens on UDP 67 (up to 15 s). Fails if it died or never did.
srv_start() {
    local name=$1 dir="$WORK/$1" pid _
    shift
    mkdir -p "$dir"
    port_free || die "something still listens on UDP 67 in $NS_SRV: $(ip netns exec "$NS_SRV" ss -Hlunp | grep ':67 ')"
    # `ip netns exec` execs CMD, so $! is the server itself.
    ip netns exec "$NS_SRV" "$@" >"$dir/server.out" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$dir/server.pid"
    for _ in $(seq 150); do
        pid_alive "$pid" || break
        listening "$NS_SRV" && return 0
        sleep 0.1
    done
    log "$name did not start ($*); its last output:"
    tail -n 20 "$dir/server.out" >&2
    srv_stop "$name"
    return 1
}

# port_free: waits up to 10 s until nothing listens on UDP 67 in $NS_SRV.
# A stopped server's threads can hold its sockets for a moment after its
# main thread is gone (and much longer on a busy machine).
port_free() {
    local _
    for _ in $(seq 100); do
        listening "$NS_SRV" || return 0
        sleep 0.1
    done
    return 1
}

# srv_stop NAME: stops what srv_start started under NAME, and waits until
# its port is free.
srv_stop() {
    local pidfile="$WORK/$1/server.pid" pid
    # The other processes of a pair (bench/ha.sh: the standby, Kea's agents).
    if [ -f "$WORK/$1/extra.pids" ]; then
        for pid in $(cat "$WORK/$1/extra.pids"); do stop_pid "$pid"; done
        rm -f "$WORK/$1/extra.pids"
    fi
    [ -f "$pidfile" ] || return 0
    stop_pid "$(cat "$pidfile")"
    rm -f "$pidfile"
    port_free || log "UDP 67 in $NS_SRV is still taken 10 s after $1 stopped"
}

srv_pid() { cat "$WORK/$1/server.pid"; }

# The servers under test. Each start_* writes its configuration into
# $WORK/LABEL, on an empty lease database, and starts the server. All
# serve the same two subnets with the same lifetimes and options.
SERVERS_ALL="ceiling leased kea-st kea-mt dnsmasq"
# The pairs of bench/run ha (bench/ha.sh).
SERVERS_HA="leased-ha kea-ha kea-ha-mt"

# dhcp4_shared [VALID [RELAY_SUBNET [RELAY_POOLS]]]: the members of the
# Dhcp4 object that every server under test, and reload.sh's leased, is
# given alike: the lifetimes (valid-lifetime VALID, default 7200), the DNS
# server option and the two subnets (the relayed one RELAY_SUBNET, default
# $RELAY_NET, with the pools RELAY_POOLS, a JSON list's items, default its
# one pool). No comma follows the last member.
# shellcheck disable=SC2120 # bench/reload.sh passes the arguments
dhcp4_shared() {
    local valid=${1:-7200} relay_net=${2:-$RELAY_NET}
    local relay_pools="{ \"pool\": \"$RELAY_POOL_LO - $RELAY_POOL_HI\" }"
    [ $# -ge 3 ] && relay_pools=$3
    cat <<JSON
    "valid-lifetime": $valid,
    "renew-timer": 1800,
    "rebind-timer": 3600,
    "option-data": [ { "name": "domain-name-servers", "data": "$SRV_ADDR" } ],
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
        "subnet": "$relay_net",
        "pools": [ $relay_pools ],
        "option-data": [ { "name": "routers", "data": "$RELAY_ADDR" } ]
      }
    ]
JSON
}

# leased_config DIR [PERSIST]: leased's configuration (Kea's Dhcp4 JSON).
leased_config() {
    cat <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ] },
    "lease-database": { "type": "memfile", "persist": ${2:-true}, "name": "$1/leases", "lfc-interval": 0 },
$(dhcp4_shared)
  }
}
JSON
}

# kea_config DIR st|mt: kea-dhcp4's, the same plus its raw socket, its
# threading and a log file at WARN (at INFO it logs every lease).
kea_config() {
    local mt='"enable-multi-threading": false'
    [ "$2" = mt ] && mt='"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 64'
    cat <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ], "dhcp-socket-type": "raw" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$1/leases.csv", "lfc-interval": 0 },
    "multi-threading": { $mt },
$(dhcp4_shared),
    "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$1/kea.log" } ], "severity": "WARN" } ]
  }
}
JSON
}

# fresh_dir LABEL: $WORK/LABEL emptied (a fresh lease database), printed.
fresh_dir() {
    local dir="$WORK/$1"
    srv_stop "$1"
    rm -rf "$dir"
    mkdir -p "$dir"
    echo "$dir"
}

# build_leased: LEASED_BIN, built from this tree unless given; LEASED_REV
# says what it is.
build_leased() {
    if [ -n "${LEASED_BIN:-}" ]; then
        LEASED_REV=${LEASED_REV:-"given binary $LEASED_BIN"}
        return
    fi
    mkdir -p "$WORK/bin"
    LEASED_BIN="$WORK/bin/leased"
    (cd "$REPO_DIR" && go build -o "$LEASED_BIN" ./cmd/leased) || die "go build ./cmd/leased failed"
    LEASED_REV="$(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)"
    git -C "$REPO_DIR" diff --quiet HEAD -- . 2>/dev/null || LEASED_REV+="+uncommitted changes"
}

build_ceiling() {
    [ -n "${CEILING_BIN:-}" ] && return
    mkdir -p "$WORK/bin"
    CEILING_BIN="$WORK/bin/ceiling"
    (cd "$REPO_DIR" && go build -o "$CEILING_BIN" ./bench/ceiling) || die "go build ./bench/ceiling failed"
}

start_leased() {
    local dir
    dir=$(fresh_dir "$1")
    leased_config "$dir" >"$dir/leased.json"
    srv_start "$1" "$LEASED_BIN" serve -c "$dir/leased.json"
}

start_kea() {
    local dir
    dir=$(fresh_dir "$1")
    kea_config "$dir" "$2" >"$dir/kea.json"
    # Kea's pid and lock files go to /run/kea unless told otherwise.
    export KEA_PIDFILE_DIR="$dir" KEA_LOCKFILE_DIR="$dir"
    # -t also checks the interfaces, so it runs in the namespace.
    ip netns exec "$NS_SRV" kea-dhcp4 -t "$dir/kea.json" >"$dir/check.out" 2>&1 ||
        { cat "$dir/check.out" >&2; die "kea-dhcp4 -t rejected $dir/kea.json"; }
    srv_start "$1" kea-dhcp4 -c "$dir/kea.json"
}

# dnsmasq starts as root to bind port 67 and open its packet socket, then
# runs as nobody; its lease file is the directory's, which nobody owns.
# --no-ping: its ping before each offer would stall every new client ~3 s.
# Its default cap of 1,000 leases is raised above the pool.
start_dnsmasq() {
    local dir
    dir=$(fresh_dir "$1")
    : >"$dir/leases"
    chown -R nobody:nogroup "$dir"
    srv_start "$1" dnsmasq --keep-in-foreground --conf-file=/dev/null --port=0 \
        --no-resolv --no-hosts --user=nobody --group=nogroup \
        --pid-file="$dir/dnsmasq.pid" --log-facility="$dir/dnsmasq.log" --quiet-dhcp \
        --interface="$SRV_IF" --except-interface=lo --bind-interfaces \
        --dhcp-authoritative --dhcp-lease-max=70000 --no-ping \
        --dhcp-leasefile="$dir/leases" \
        --dhcp-range="$DIRECT_POOL_LO,$DIRECT_POOL_HI,255.255.255.0,2h" \
        --dhcp-range="$RELAY_POOL_LO,$RELAY_POOL_HI,255.255.0.0,2h" \
        --dhcp-option=option:router,"$SRV_ADDR" \
        --dhcp-option=option:dns-server,"$SRV_ADDR"
}

start_ceiling() {
    fresh_dir "$1" >/dev/null
    srv_start "$1" "$CEILING_BIN" -i "$SRV_IF" -pool "$RELAY_POOL_LO-$RELAY_POOL_HI" \
        -direct "$DIRECT_POOL_LO-$DIRECT_POOL_HI"
}

# start_server LABEL: one of $SERVERS_ALL, fresh.
start_server() {
    case $1 in
    leased) start_leased "$1" ;;
    kea-st) start_kea "$1" st ;;
    kea-mt) start_kea "$1" mt ;;
    dnsmasq) start_dnsmasq "$1" ;;
    ceiling) start_ceiling "$1" ;;
    leased-ha) start_leased_ha "$1" ;;
    kea-ha) start_kea_ha "$1" st ;;
    kea-ha-mt) start_kea_ha "$1" mt ;;
    *) die "unknown server $1 (known: $SERVERS_ALL)" ;;
    esac
}

server_title() {
    case $1 in
    leased) echo "leased ($LEASED_REV), memfile journal, fsync before every ACK" ;;
    kea-st) echo "Kea $(kea_version) single-threaded, memfile CSV" ;;
    kea-mt) echo "Kea $(kea_version) multi-threaded (2 threads, queue 64), memfile CSV" ;;
    dnsmasq) echo "dnsmasq $(dnsmasq --version | awk 'NR == 1 { print $3 }') --no-ping, lease file" ;;
    ceiling) echo "ceiling: bench/ceiling, stateless responder (dhcpserver, inline)" ;;
    leased-ha) echo "leased ($LEASED_REV) hot-standby pair, every ACK fsync'd on both servers" ;;
    kea-ha) echo "Kea $(kea_version) hot-standby pair, single-threaded, through kea-ctrl-agent" ;;
    kea-ha-mt) echo "Kea $(kea_version) hot-standby pair, multi-threaded (2 threads), HA dedicated listener" ;;
    esac
}

kea_version() { kea-dhcp4 -v 2>/dev/null | head -n1; }

# perf_run REPORT RATE SECONDS CLIENTS [PERFDHCP ARGS...]: one perfdhcp
# DORA run from $NS_CLI at RATE exchanges a second ("max": as fast as it
# can), for SECONDS, over CLIENTS distinct MACs; the report goes to
# REPORT. Returns perfdhcp's status when it is not 0 (every exchange
# done) or 3 (some were not).
perf_run() {
    local out=$1 rate=$2 secs=$3 clients=$4 rc=0 limit
    shift 4
    # -g single: its multi-threaded mode takes most of a second core.
    local args=(-4 -g single -l "$RELAY_ADDR" -R "$clients" -p "$secs" -d "$PERF_DROP_TIME" -W "$PERF_WAIT_US")
    [ "$rate" = max ] || args+=(-r "$rate")
    args+=("$@" "$SRV_ADDR")
    limit=$((secs + PERF_DROP_TIME + PERF_WAIT_US / 1000000 + 20))
    ip netns exec "$NS_CLI" timeout -s INT -k 5 "$limit" perfdhcp "${args[@]}" >"$out" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ] && [ "$rc" -ne 3 ]; then
        log "perfdhcp ${args[*]} exited $rc:"
        tail -n 5 "$out" >&2
        return "$rc"
    fi
    grep -q 'Statistics for: DISCOVER-OFFER' "$out" || { log "perfdhcp wrote no report: $out"; return 1; }
}

# perf_fields REPORT SECONDS: the report as key=value words. sent = the
# DISCOVERs sent, acks = ACKs received, lps = acks / SECONDS, drop_pct =
# the DISCOVERs that did not end in an ACK, in per cent of sent (lost at
# either step, NAKed, or answered after perfdhcp's -d). The delays are
# perfdhcp's DISCOVER-OFFER (do_) and REQUEST-ACK (ra_) in ms.
perf_fields() {
    awk -v secs="$2" '
    function ms(v) { return (v ~ /^[0-9.]+$/) ? v : "na" }
    /^\*\*\*Statistics for: DISCOVER-OFFER\*\*\*/ { sec = "do"; next }
    /^\*\*\*Statistics for: REQUEST-ACK\*\*\*/    { sec = "ra"; next }
    /^\*\*\*/                                    { sec = "" }
    sec != "" && /^sent packets:/     { sent[sec] = $3 }
    sec != "" && /^received packets:/ { rcvd[sec] = $3 }
    sec != "" && /^avg delay:/        { avg[sec] = $3 }
    sec != "" && /^max delay:/        { max[sec] = $3 }
    END {
        s = sent["do"] + 0; a = rcvd["ra"] + 0
        printf "sent=%d offers=%d acks=%d sent_ps=%.1f lps=%.1f drop_pct=%.2f do_avg_ms=%s do_max_ms=%s ra_avg_ms=%s ra_max_ms=%s\n",
            s, rcvd["do"] + 0, a, s / secs, a / secs, (s > 0 ? 100 * (s - a) / s : 100),
            ms(avg["do"]), ms(max["do"]), ms(avg["ra"]), ms(max["ra"])
    }' "$1"
}

# field NAME WORDS: the value of NAME=value among WORDS.
field() { awk -v k="$1" '{ for (i = 1; i <= NF; i++) if (index($i, k "=") == 1) { print substr($i, length(k) + 2); exit } }' <<<"$2"; }

# cpu_ticks PID: the process's user + system time, all threads, in clock
# ticks (/proc/PID/stat fields 14 and 15, counted after the command name,
# which may hold spaces).
cpu_ticks() { sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }

# wait_quiet: with BENCH_QUIET=1, waits (bench/quiet.sh) until the machine
# is idle before a measurement; prints what quiet.sh saw.
wait_quiet() {
    if [ "${BENCH_QUIET:-0}" = 1 ]; then
        "$BENCH_DIR/quiet.sh" 2>&1 | tail -n1
    else
        echo "quiet: not checked, load $(cut -d' ' -f1-3 /proc/loadavg)"
    fi
}
