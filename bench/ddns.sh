#!/usr/bin/env bash
# DNS updates under load (issue 14, "Speed"), in the harness's namespaces
# (bench/lib.sh). Also `bench/run ddns`.
#
#   sudo bench/ddns.sh [-t SECONDS] [-x REPS] [-o OUTDIR] [-quick] [-wait-quiet]
#
#   -t  seconds of perfdhcp per point (default 10)
#   -x  repetitions of every point (default 3; medians are shown)
#   -o  output directory (default bench/out/ddns-TIMESTAMP)
#   -quick  one low rate, 2 s, one repetition: shows the script works
#   -tables RUNS  measure nothing: print the tables of an earlier run's
#           ddns.runs (its -t must be given again when it was not 10)
#
# Two servers, swept over the same offered rates in the same run:
#
#   leased       leased serve, the harness's configuration plus DNS
#                names: ddns-qualifying-suffix example.org, and
#                ddns-replace-client-name when-present with prefix "h",
#                so that every client, which sends a host name (option 12,
#                perfdhcp -o 12,...: the same name for every client, all
#                perfdhcp can do), is given its own name from its address
#                (h-198-18-1-5.example.org); dhcp-ddns enable-updates is
#                false: no DNS update is made.
#   leased-ddns  the same with enable-updates true and a DhcpDdns section
#                beside Dhcp4: leased makes the updates itself (in
#                process), TSIG HMAC-SHA256, check-with-dhcid, to a named
#                that serves example.org and 18.198.in-addr.arpa.
#
# named (Debian's bind9) runs in the server namespace, on 127.0.0.1:53,
# started afresh (empty zones) for every point of both servers, as root
# dropping to nobody (-u nobody), one worker thread (-n 1). Its statistics
# channel (127.0.0.1:8053, read with bash's /dev/tcp from inside the
# namespace) gives UpdateDone, the UPDATE messages it completed; the
# script samples it every second during the run. After perfdhcp ends the
# script waits until UpdateDone has not moved for 2 s (at most 30 s), and
# then counts the A and PTR records in the zones (dig AXFR with the key).
# names/s is the A records over the seconds from the start of perfdhcp's
# run until UpdateDone last moved (until its end when it never did):
# the names named completed a second. UPDATE messages are fewer than the
# records' steps: leased merges the steps waiting for one zone into one
# message (dnsupdate's batching).
#
# Figures per point: perfdhcp's (as bench/run serve), named's UPDATEs
# completed per second during the perfdhcp run, their total after the
# drain, the A and PTR records in the zones, and the requests leased
# dropped because its queue (max-queue-size, 1024 by default) was full
# or that failed (its statistic ncr-send-failed, read over its control
# socket before it stops); CPU per name and per lease, which depend
# little on what else the machine runs: named's CPU time from the start
# of perfdhcp's run to the end of the drain over the A records, leased's
# over the leases (ACKs), and the steps (A + PTR records) per UPDATE
# message. The knee of each server
# is bench/run's: the highest offered rate with median drops under
# KNEE_DROP_PCT (1) % at which perfdhcp sent at least 97 % of it.
#
# Environment: LEASED_BIN (else built from this tree), PROFILE=1 (leased's
# CPU profile of every point, LEASED_CPUPROFILE, in the output's raw/), RATES (the offered
# rates), CLIENTS (default 50000), KNEE_DROP_PCT, MAX_QUEUE (leased's
# max-queue-size; default Kea's 1024), NAMED_NICE (named's nice value,
# default 0: named competes with leased and perfdhcp for the CPUs as
# they do with each other; 19 gives it only what they leave, as a DNS
# server on another machine would take nothing from them).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

secs=10 reps=3 outdir='' quick=0 from=''
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case $1 in
    -t) secs=${2:?-t needs seconds}; shift ;;
    -x) reps=${2:?-x needs a count}; shift ;;
    -o) outdir=${2:?-o needs a directory}; shift ;;
    -quick) quick=1 ;;
    -wait-quiet) export BENCH_QUIET=1 ;;
    -tables) from=${2:?-tables needs a ddns.runs file}; shift ;;
    -h | -help | --help) usage; exit 0 ;;
    *) echo "bench/ddns.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for d in /usr/local/go/bin /usr/lib/go/bin /usr/local/sbin /usr/sbin /sbin; do
    case ":$PATH:" in *":$d:"*) ;; *) [ -d "$d" ] && PATH="$PATH:$d" ;; esac
done
export PATH
for c in perfdhcp named dig ip ss go; do
    command -v "$c" >/dev/null || die "$c not found (named and dig: Debian's bind9 and bind9-dnsutils)"
done

CLIENTS=${CLIENTS:-50000}
KNEE_DROP_PCT=${KNEE_DROP_PCT:-1}
MAX_QUEUE=${MAX_QUEUE:-1024}
NAMED_NICE=${NAMED_NICE:-0}
RATES=${RATES:-"1000 2000 4000 8000 12000 16000 24000"}
settle=1 drain_max=30
if [ "$quick" = 1 ]; then
    secs=2 reps=1 CLIENTS=2000 RATES=${RATES_QUICK:-200} settle=0.3 drain_max=10
    PERF_WAIT_US=300000
fi
[ -n "$outdir" ] || outdir="$BENCH_DIR/out/ddns-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$outdir/raw"
outdir=$(cd "$outdir" && pwd)
tables="$outdir/tables.md"
runs="$outdir/ddns.runs"
: >"$tables"
: >"$runs"
out() { printf '%s\n' "$*" | tee -a "$tables"; }

NAMED_ADDR=127.0.0.1
NAMED_STATS_PORT=8053
FWD_ZONE=example.org
REV_ZONE=18.198.in-addr.arpa
KEY_NAME=leased-bench
KEY_SECRET=$(head -c 32 /dev/urandom | base64)
# "bench", the host name every perfdhcp client sends.
HOSTNAME_HEX=62656e6368

# start_named: a fresh named with empty dynamic zones in $WORK/named,
# its PID in $WORK/named/server.pid (stopped by bench_cleanup).
start_named() {
    local dir="$WORK/named" z _
    stop_named
    rm -rf "$dir"
    mkdir -p "$dir"
    cat >"$dir/named.conf" <<EOF
options {
	directory "$dir";
	pid-file none;
	session-keyfile none;
	managed-keys-directory "$dir";
	listen-on port 53 { $NAMED_ADDR; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	notify no;
};
controls { };
statistics-channels { inet $NAMED_ADDR port $NAMED_STATS_PORT allow { $NAMED_ADDR; }; };
key "$KEY_NAME" { algorithm hmac-sha256; secret "$KEY_SECRET"; };
EOF
    for z in $FWD_ZONE $REV_ZONE; do
        printf '$TTL 300\n@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n@ IN NS ns.%s.\nns IN A %s\n' \
            "$FWD_ZONE" "$FWD_ZONE" "$FWD_ZONE" "$NAMED_ADDR" >"$dir/$z.db"
        printf 'zone "%s" { type primary; file "%s.db"; update-policy { grant "%s" zonesub ANY; }; };\n' \
            "$z" "$z" "$KEY_NAME" >>"$dir/named.conf"
    done
    # named writes its zone journals (.jnl) there as nobody.
    chown -R nobody:nogroup "$dir"
    ip netns exec "$NS_SRV" nice -n "$NAMED_NICE" named -g -u nobody -n 1 -4 -c "$dir/named.conf" >"$dir/named.out" 2>&1 </dev/null &
    echo $! >"$dir/server.pid"
    for _ in $(seq 100); do
        dig_ns +short +time=1 +tries=1 SOA "$FWD_ZONE" | grep -q . && return 0
        pid_alive "$(cat "$dir/server.pid")" || break
        sleep 0.1
    done
    tail -n 20 "$dir/named.out" >&2
    die "named did not start (log above)"
}

stop_named() {
    local f="$WORK/named/server.pid"
    [ -f "$f" ] || return 0
    stop_pid "$(cat "$f")"
    rm -f "$f"
}

dig_ns() { ip netns exec "$NS_SRV" dig @"$NAMED_ADDR" "$@"; }

# update_done: named's UpdateDone counter (0 before its first update).
update_done() {
    ip netns exec "$NS_SRV" bash -c "exec 3<>/dev/tcp/$NAMED_ADDR/$NAMED_STATS_PORT &&
        printf 'GET /json/v1/server HTTP/1.0\r\n\r\n' >&3 && cat <&3" 2>/dev/null |
        grep -o '"UpdateDone":[0-9]*' | cut -d: -f2 | grep . || echo 0
}

# zone_count ZONE TYPE: the records of TYPE in ZONE (AXFR with the key).
zone_count() {
    dig_ns -y "hmac-sha256:$KEY_NAME:$KEY_SECRET" +nocmd +nostats AXFR "$1" |
        awk -v t="$2" '$4 == t && $1 !~ /^ns\./ { n++ } END { print n + 0 }'
}

# leased_ddns_config DIR on|off: the harness's leased configuration with
# names, and with in-process DNS updates when on.
leased_ddns_config() {
    local updates=false dhcpddns=''
    if [ "$2" = on ]; then
        updates=true
        dhcpddns=$(
            cat <<JSON
,
  "DhcpDdns": {
    "dns-server-timeout": 500,
    "tsig-keys": [ { "name": "$KEY_NAME", "algorithm": "HMAC-SHA256", "secret": "$KEY_SECRET" } ],
    "forward-ddns": { "ddns-domains": [ { "name": "$FWD_ZONE.", "key-name": "$KEY_NAME",
      "dns-servers": [ { "ip-address": "$NAMED_ADDR", "port": 53 } ] } ] },
    "reverse-ddns": { "ddns-domains": [ { "name": "$REV_ZONE.", "key-name": "$KEY_NAME",
      "dns-servers": [ { "ip-address": "$NAMED_ADDR", "port": 53 } ] } ] }
  }
JSON
        )
    fi
    cat <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ] },
    "control-sockets": [ { "socket-type": "unix", "socket-name": "$1/ctl.sock" } ],
    "lease-database": { "type": "memfile", "persist": true, "name": "$1/leases", "lfc-interval": 0 },
    "dhcp-ddns": { "enable-updates": $updates, "max-queue-size": $MAX_QUEUE },
    "ddns-send-updates": true,
    "ddns-qualifying-suffix": "$FWD_ZONE",
    "ddns-replace-client-name": "when-present",
    "ddns-generated-prefix": "h",
$(dhcp4_shared)
  }$dhcpddns
}
JSON
}

# point SERVER RATE REP: one point on a fresh named and a fresh leased.
point() {
    local server=$1 rate=$2 rep=$3 raw dir pid q f sampler d0 d1 prev stable a ptr dropped alive=yes mode=off npid nt0 nt1 nt2 lt0 lt1 lt2 cur t0 tl acks
    raw="$outdir/raw/$server-r$rate-$rep.txt"
    [ "$server" = leased-ddns ] && mode=on
    q=$(wait_quiet)
    start_named
    dir=$(fresh_dir "$server")
    leased_ddns_config "$dir" "$mode" >"$dir/leased.json"
    # PROFILE=1: leased's CPU profile of the whole point (LEASED_CPUPROFILE).
    if [ "${PROFILE:-0}" = 1 ]; then export LEASED_CPUPROFILE="$outdir/raw/$server-r$rate-$rep.pprof"; fi
    srv_start "$server" "$LEASED_BIN" serve -c "$dir/leased.json" || die "$server did not start"
    pid=$(srv_pid "$server")
    sleep "$settle"
    # UpdateDone every second while perfdhcp runs: "EPOCH COUNT".
    (while :; do echo "$(date +%s.%N) $(update_done)"; sleep 1; done) >"$outdir/raw/$server-r$rate-$rep.named" &
    sampler=$!
    d0=$(update_done)
    npid=$(cat "$WORK/named/server.pid")
    nt0=$(cpu_ticks "$npid") lt0=$(cpu_ticks "$pid")
    t0=$(date +%s.%N)
    perf_run "$raw" "$rate" "$secs" "$CLIENTS" -o "12,$HOSTNAME_HEX" || die "perfdhcp failed against $server at $rate/s (report: $raw)"
    d1=$(update_done)
    nt1=$(cpu_ticks "$npid") lt1=$(cpu_ticks "$pid")
    tl=$(date +%s.%N)
    kill "$sampler" 2>/dev/null || true
    wait "$sampler" 2>/dev/null || true
    pid_alive "$pid" || alive=no
    # The queue drains: wait until named's count has stood still for 2 s.
    prev=$d1 stable=0
    for _ in $(seq "$drain_max"); do
        [ "$mode" = on ] || break
        sleep 1
        cur=$(update_done)
        if [ "$cur" = "$prev" ]; then stable=$((stable + 1)); else stable=0 tl=$(date +%s.%N); fi
        prev=$cur
        [ "$stable" -ge 2 ] && break
    done
    # ncr-send-failed: requests dropped (queue full) or failed.
    dropped=$(ip netns exec "$NS_SRV" "$LEASED_BIN" ctl -json -s "$dir/ctl.sock" statistic-get '{"name": "ncr-send-failed"}' 2>/dev/null |
        tr -d ' \n' | grep -o '"ncr-send-failed":\[\[[0-9]*' | grep -o '[0-9]*$' || echo na)
    # CPU of the whole point, drain included: per name for named (fresh
    # for the point), per lease for leased.
    nt2=$(cpu_ticks "$npid" 2>/dev/null || echo "$nt1") lt2=$(cpu_ticks "$pid" 2>/dev/null || echo "$lt1")
    a=$(zone_count "$FWD_ZONE" A)
    ptr=$(zone_count "$REV_ZONE" PTR)
    cp "$WORK/$server/server.out" "$outdir/raw/$server-r$rate-$rep.server.out"
    cp "$WORK/named/named.out" "$outdir/raw/$server-r$rate-$rep.named.out"
    srv_stop "$server"
    stop_named
    [ "$alive" = yes ] || die "$server exited during the run at $rate/s (log: $outdir/raw/$server-r$rate-$rep.server.out)"
    f=$(perf_fields "$raw" "$secs")
    acks=$(printf '%s\n' "$f" | grep -o 'acks=[0-9]*' | cut -d= -f2)
    echo "RUN server=$server rate=$rate rep=$rep $f upd_run=$((d1 - d0)) upd_ps=$(awk -v n=$((d1 - d0)) -v s="$secs" 'BEGIN { printf "%.1f", n / s }') upd_total=$prev names_ps=$(awk -v a="$a" -v t0="$t0" -v t1="$tl" 'BEGIN { printf "%.1f", a / (t1 - t0) }') a_records=$a ptr_records=$ptr queue_dropped=$dropped $(awk -v n=$((nt1 - nt0)) -v l=$((lt1 - lt0)) -v t="$(getconf CLK_TCK)" -v s="$secs" \
        'BEGIN { printf "named_cpu_pct=%.0f leased_cpu_pct=%.0f", 100 * n / t / s, 100 * l / t / s }') $(awk -v n=$((nt2 - nt0)) -v l=$((lt2 - lt0)) -v t="$(getconf CLK_TCK)" -v a="$a" -v p="$ptr" -v m="$prev" -v k="$acks" \
        'BEGIN { printf "named_ms_per_name=%s leased_us_per_lease=%s steps_per_msg=%s", a ? sprintf("%.3f", 1000 * n / t / a) : "na", k ? sprintf("%.1f", 1e6 * l / t / k) : "na", m ? sprintf("%.1f", (a + p) / m) : "na" }') ${q// /_}" |
        tee -a "$runs" >&2
}

# medians SERVER: per rate, "RATE lps drop sent_ps ra_avg upd_ps upd_total a ptr dropped named_cpu leased_cpu per-run".
medians() {
    awk -v s="$1" '
    function med(k, r,    n, a, i, j, t) {
        n = split(v[k, r], a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        if (n == 0 || a[1] == "na") return "na"
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    {
        delete f
        for (i = 2; i <= NF; i++) { j = index($i, "="); if (j) f[substr($i, 1, j - 1)] = substr($i, j + 1) }
        if (f["server"] != s) next
        r = f["rate"]; if (!(r in seen)) { seen[r] = 1; order[++n] = r }
        split("lps drop_pct sent_ps ra_avg_ms upd_ps upd_total a_records ptr_records queue_dropped named_cpu_pct leased_cpu_pct names_ps named_ms_per_name leased_us_per_lease steps_per_msg", ks, " ")
        for (k in ks) v[ks[k], r] = v[ks[k], r] " " f[ks[k]]
        runs[r] = runs[r] " " f["lps"] "/" f["drop_pct"] "%"
    }
    END {
        for (i = 1; i <= n; i++) {
            r = order[i]
            printf "%s %s %s %s %s %s %s %s %s %s %s %s %s %s %s %s%s\n", r, med("lps", r), med("drop_pct", r), med("sent_ps", r), med("ra_avg_ms", r),
                med("upd_ps", r), med("upd_total", r), med("a_records", r), med("ptr_records", r), med("queue_dropped", r),
                med("named_cpu_pct", r), med("leased_cpu_pct", r), med("names_ps", r),
                med("named_ms_per_name", r), med("leased_us_per_lease", r), med("steps_per_msg", r), runs[r]
        }
    }' "$runs"
}

# knee SERVER: "RATE LPS DROP", bench/run's rule, or "none".
knee() {
    medians "$1" | awk -v p="$KNEE_DROP_PCT" '
        $3 + 0 < p && $4 + 0 >= 0.97 * $1 && $1 + 0 > best { best = $1 + 0; line = $1 " " $2 " " $3 }
        END { print (line == "" ? "none" : line) }'
}

loads() {
    awk '{ if (match($0, /load_[0-9.]+/)) { v = substr($0, RSTART + 5, RLENGTH - 5) + 0; if (n++ == 0 || v < lo) lo = v; if (v > hi) hi = v } }
        END { if (n) printf "machine load (1-minute average) at the start of each run: %.2f to %.2f on %d CPUs\n", lo, hi, ncpu }' ncpu="$(nproc)" "$runs"
}

if [ -n "$from" ]; then
    cp "$from" "$runs"
else
    bench_setup
    build_leased
    out "# bench/ddns.sh$([ "$quick" = 1 ] && echo ' -quick') -t $secs -x $reps $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    out "host: $(nproc) CPUs, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg); perfdhcp $(perfdhcp -v 2>&1 | head -n1), $(named -v), $(go version | cut -d' ' -f3-4)"
    out "leased: $LEASED_REV; perfdhcp -R $CLIENTS -o 12,$HOSTNAME_HEX; max-queue-size $MAX_QUEUE; named at nice $NAMED_NICE"
    out
    log "ddns: ${secs} s per point, $reps repetitions, rates $RATES"
    for rep in $(seq "$reps"); do
        for rate in $RATES; do
            for server in leased leased-ddns; do
                point "$server" "$rate" "$rep"
            done
        done
    done
fi
out "$(loads)"
out
for server in leased leased-ddns; do
    out "### $server$([ "$server" = leased-ddns ] && echo ': in-process DNS updates to named' || echo ': names, no DNS updates')"
    out
    out "| offered DORA/s | sent DISCOVER/s | leases/s | drop % | R-A avg ms | named UPDATE messages/s during the run | UPDATE messages in all | A records | PTR records | **names/s** | requests dropped or failed (ncr-send-failed) | CPU % named / leased | named CPU ms per name | leased CPU µs per lease | steps per UPDATE | per run: leases/s / drop % |"
    out "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    medians "$server" | while read -r r l d s ra ups ut a p qd nc lc nps nmn lul spm rest; do
        out "| $r | $s | $l | $d | $ra | $ups | $ut | $a | $p | $nps | $qd | $nc / $lc | $nmn | $lul | $spm | $rest |"
    done
    out
    read -r kr kl kd <<<"$(knee "$server")"
    if [ "$kr" = none ]; then out "Knee: none"; else out "Knee: **$kr** ($kl leases/s, $kd % drops)"; fi
    out
done
kd=$(knee leased-ddns | awk '{ print $1 }')
kn=$(knee leased | awk '{ print $1 }')
if [ "$kd" != none ] && [ "$kn" != none ]; then
    out "knee with updates / knee without: $(awk -v a="$kd" -v b="$kn" 'BEGIN { printf "%.2f", a / b }') ($kd / $kn; goal ≥ 0.9)"
else
    out "knee with updates / knee without: n/a ($kd / $kn)"
fi
log "tables in $tables"
