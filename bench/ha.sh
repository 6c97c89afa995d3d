# shellcheck shell=bash
# The HA part of the harness, sourced by bench/run after lib.sh: a third
# namespace for the standby of a hot-standby pair, and the pairs under
# test. perfdhcp sends to the primary only (a hot-standby primary serves
# every client); the standby takes the primary's lease updates over the
# link between them.
#
#  netns $NS_SRV (primary)                 netns $NS_SB (standby)
#  srv0 192.0.2.1/24 (perfdhcp's side)     srv0 192.0.2.3/24 (no DHCP
#  ha0  10.255.0.1/24  <====== veth ======>       traffic), 10.255.0.2/24
#
# The standby's link is named srv0 too, so that both servers read the same
# configuration (a Kea subnet names its interface, which must exist).

NS_SB=lbb$$
HA_IF=ha0
HA_ADDR1=10.255.0.1
HA_ADDR2=10.255.0.2
HA_PORT=8000

# ha_topo_up: the standby's namespace and its link to the primary's.
ha_topo_up() {
    ip netns add "$NS_SB"
    ip link add "$HA_IF" netns "$NS_SRV" type veth peer name "$SRV_IF" netns "$NS_SB"
    ip -n "$NS_SRV" addr add "$HA_ADDR1/24" dev "$HA_IF"
    ip -n "$NS_SRV" link set "$HA_IF" up
    ip -n "$NS_SB" link set lo up
    ip -n "$NS_SB" addr add 192.0.2.3/24 brd + dev "$SRV_IF"
    ip -n "$NS_SB" addr add "$HA_ADDR2/24" dev "$SRV_IF"
    ip -n "$NS_SB" link set "$SRV_IF" up
    local _
    for _ in $(seq 50); do
        [ "$(ip netns exec "$NS_SB" cat "/sys/class/net/$SRV_IF/operstate")" = up ] && return 0
        sleep 0.1
    done
    die "the veth pair $NS_SRV/$HA_IF - $NS_SB/$SRV_IF has no carrier after 5 s"
}

ha_topo_down() { if ns_exists "$NS_SB"; then ip netns del "$NS_SB"; fi; }

# ha_params THIS [URL_PORT]: the libdhcp_ha.so parameters of a hot-standby
# pair, server1 the primary on $HA_ADDR1, server2 the standby on $HA_ADDR2,
# both at port URL_PORT (default $HA_PORT). EXTRA, when set, is added to
# the relationship (Kea's dedicated listener).
ha_params() {
    local port=${2:-$HA_PORT}
    cat <<JSON
{ "high-availability": [ {
    "this-server-name": "$1", "mode": "hot-standby",
    "heartbeat-delay": 1000, "max-response-delay": 10000, "max-ack-delay": 5000, "max-unacked-clients": 0,
    "sync-timeout": 30000, ${HA_EXTRA:-}
    "peers": [
      { "name": "server1", "url": "http://$HA_ADDR1:$port/", "role": "primary" },
      { "name": "server2", "url": "http://$HA_ADDR2:$port/", "role": "standby" } ] } ] }
JSON
}

hooks_dir() {
    local m
    m=$(ls -d /usr/lib/*/kea/hooks/libdhcp_ha.so /usr/lib/kea/hooks/libdhcp_ha.so 2>/dev/null | head -n1)
    [ -n "$m" ] || die "libdhcp_ha.so not found (Debian's kea-dhcp4-server)"
    dirname "$m"
}

# leased_ha_config DIR THIS ADDR: leased's configuration as one of the
# pair: the harness's Dhcp4 with Kea's hook entries and an HTTP control
# listener on ADDR for the partner.
leased_ha_config() {
    local hooks
    hooks=$(hooks_dir)
    cat <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ] },
    "lease-database": { "type": "memfile", "persist": true, "name": "$1/leases", "lfc-interval": 0 },
    "control-sockets": [ { "socket-type": "http", "socket-address": "$3", "socket-port": $HA_PORT } ],
    "hooks-libraries": [
      { "library": "$hooks/libdhcp_lease_cmds.so" },
      { "library": "$hooks/libdhcp_ha.so", "parameters": $(ha_params "$2") } ],
$(dhcp4_shared)
  }
}
JSON
}

# kea_ha_config DIR THIS st|mt: kea-dhcp4's as one of the pair: st is
# single-threaded, reached through kea-ctrl-agent on port $HA_PORT; mt is
# multi-threaded with HA's dedicated listener on port $HA_PORT+1 (Kea's
# own advice for a fast pair).
kea_ha_config() {
    local hooks mt='"enable-multi-threading": false' port=$HA_PORT extra=''
    hooks=$(hooks_dir)
    if [ "$3" = mt ]; then
        mt='"enable-multi-threading": true, "thread-pool-size": 2, "packet-queue-size": 64'
        port=$((HA_PORT + 1))
        extra='"multi-threading": { "enable-multi-threading": true, "http-dedicated-listener": true, "http-listener-threads": 2, "http-client-threads": 2 },'
    fi
    cat <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ], "dhcp-socket-type": "raw" },
    "control-socket": { "socket-type": "unix", "socket-name": "$1/kea4.sock" },
    "lease-database": { "type": "memfile", "persist": true, "name": "$1/leases.csv", "lfc-interval": 0 },
    "multi-threading": { $mt },
    "hooks-libraries": [
      { "library": "$hooks/libdhcp_lease_cmds.so" },
      { "library": "$hooks/libdhcp_ha.so", "parameters": $(HA_EXTRA=$extra ha_params "$2" "$port") } ],
$(dhcp4_shared),
    "loggers": [ { "name": "kea-dhcp4", "output_options": [ { "output": "$1/kea.log" } ], "severity": "WARN" } ]
  }
}
JSON
}

# ca_config DIR ADDR: kea-ctrl-agent's, on ADDR:$HA_PORT, for the Kea in DIR.
ca_config() {
    cat <<JSON
{ "Control-agent": { "http-host": "$2", "http-port": $HA_PORT,
    "control-sockets": { "dhcp4": { "socket-type": "unix", "socket-name": "$1/kea4.sock" } },
    "loggers": [ { "name": "kea-ctrl-agent", "output_options": [ { "output": "$1/ca.log" } ], "severity": "WARN" } ] } }
JSON
}

# bg_start NS LABEL CMD...: runs CMD in NS in the background, its PID
# appended to $WORK/LABEL/extra.pids (srv_stop stops them), its output
# to $WORK/LABEL/NAME.out, NAME being CMD's first word's base name.
bg_start() {
    local ns=$1 dir="$WORK/$2" name
    shift 2
    name=$(basename "$1")
    ip netns exec "$ns" "$@" >>"$dir/$name.out" 2>&1 </dev/null &
    echo $! >>"$dir/extra.pids"
}

# ha_state URL: the state a server of the pair reports in its heartbeat.
ha_state() {
    ip netns exec "$NS_SRV" curl -s -m 2 -H 'Content-Type: application/json' \
        -d '{ "command": "ha-heartbeat", "service": [ "dhcp4" ] }' "$1" 2>/dev/null |
        grep -o '"state": *"[a-z-]*"' | head -n1 | sed 's/.*"\([a-z-]*\)"$/\1/'
}

# ha_wait PORT: waits up to 60 s until both servers are hot-standby.
ha_wait() {
    local _ s1 s2
    for _ in $(seq 300); do
        s1=$(ha_state "http://$HA_ADDR1:$1/")
        s2=$(ha_state "http://$HA_ADDR2:$1/")
        [ "$s1" = hot-standby ] && [ "$s2" = hot-standby ] && return 0
        sleep 0.2
    done
    log "the pair is not hot-standby after 60 s: server1 $s1, server2 $s2"
    return 1
}

# start_leased_ha LABEL: a leased pair, the standby first.
start_leased_ha() {
    local dir
    dir=$(fresh_dir "$1")
    mkdir -p "$dir/sb"
    leased_ha_config "$dir" server1 "$HA_ADDR1" >"$dir/leased.json"
    leased_ha_config "$dir/sb" server2 "$HA_ADDR2" >"$dir/sb/leased.json"
    bg_start "$NS_SB" "$1" "$LEASED_BIN" serve -c "$dir/sb/leased.json"
    srv_start "$1" "$LEASED_BIN" serve -c "$dir/leased.json" || return 1
    ha_wait "$HA_PORT"
}

# start_kea_ha LABEL st|mt: a kea-dhcp4 pair (with its agents when st).
start_kea_ha() {
    local dir port=$HA_PORT
    dir=$(fresh_dir "$1")
    mkdir -p "$dir/sb"
    kea_ha_config "$dir" server1 "$2" >"$dir/kea.json"
    kea_ha_config "$dir/sb" server2 "$2" >"$dir/sb/kea.json"
    export KEA_PIDFILE_DIR="$dir" KEA_LOCKFILE_DIR="$dir"
    ip netns exec "$NS_SRV" kea-dhcp4 -t "$dir/kea.json" >"$dir/check.out" 2>&1 ||
        { cat "$dir/check.out" >&2; die "kea-dhcp4 -t rejected $dir/kea.json"; }
    KEA_PIDFILE_DIR="$dir/sb" KEA_LOCKFILE_DIR="$dir/sb" bg_start "$NS_SB" "$1" kea-dhcp4 -c "$dir/sb/kea.json"
    srv_start "$1" kea-dhcp4 -c "$dir/kea.json" || return 1
    if [ "$2" = st ]; then
        ca_config "$dir" "$HA_ADDR1" >"$dir/ca.json"
        ca_config "$dir/sb" "$HA_ADDR2" >"$dir/sb/ca.json"
        KEA_PIDFILE_DIR="$dir" bg_start "$NS_SRV" "$1" kea-ctrl-agent -c "$dir/ca.json"
        KEA_PIDFILE_DIR="$dir/sb" bg_start "$NS_SB" "$1" kea-ctrl-agent -c "$dir/sb/ca.json"
    else
        port=$((HA_PORT + 1))
    fi
    ha_wait "$port"
}
