#!/usr/bin/env bash
# SIGHUP under load (issue 5), in the harness's namespaces (bench/lib.sh):
# perfdhcp runs DORAs through the relay at RATE (half of leased's knee by
# default) while leased reloads its configuration. Also `bench/run reload`.
#
#   sudo bench/reload.sh [-r RATE] [-t SECONDS] [-f RENEW_RATE] [-x REPS]
#                        [-p 'base broken newpool'] [-o OUTDIR] [-q]
#
#   -r  DORA exchanges offered per second (default 24000, half of the
#       48,000 knee in RESULTS.md, "Serving")
#   -t  seconds per run (default 10)
#   -f  perfdhcp -f: RENEWING-state REQUESTs per second for leases acquired
#       earlier in the same run (default 0: off). Not for the measurement:
#       with -f, perfdhcp keeps every ACK in a linked list and walks it to a
#       random element for each renewal, so with 100,000 leases it sent only
#       12,000 DORAs a second at -f 100 and 9,000 at -f 1000 (asked 24,000).
#   -x  repetitions (default 3; interleaved: every phase of rep 1, then
#       rep 2, ...)
#   -p  phases to run, in this order (default all three):
#       base     no SIGHUP
#       broken   the file is replaced by one with "valid-lifetime": "two
#                hours" and SIGHUP comes a quarter into the run. Checks: the
#                log has "FILE:LINE:COL: error: valid-lifetime" at the bad
#                value and says the previous configuration stays; the
#                config-hash-get answer is unchanged; leased still runs.
#       newpool  the file gets pool B in front of pool A (as in
#                e2e/process_test.go) and SIGHUP comes a quarter into the
#                run. Checks: "configuration applied" and a new hash; from
#                `leased lease export` afterwards: no client whose first
#                DISCOVER left after the reload holds a pool-A lease; the
#                clients that got pool A before it kept those leases
#                (perfdhcp's second half was ACKed, and none of them holds
#                a pool-B lease, beyond as many as perfdhcp lost
#                exchanges); see pools() below. And, as in the e2e test,
#                with SMALL clients of their own: every phase starts with
#                SMALL DORAs (1 s, MACs 02:3f:..) before the measured run;
#                in this phase, after it, the same SMALL clients DORA again
#                and must all be ACKed with the pool-A address they had
#                (store exported before and after), and 100 new clients
#                (02:4f:..) must all get pool B.
#   -o  output dir (default out/reload next to this script): the
#       runs' perfdhcp reports, server logs, lease exports and reload.log
#   -q  quick: SMALL=50 (below), for the smoke run of `bench/run -quick`
#
# Every run starts leased afresh on an empty lease store (with BENCH_QUIET=1
# after quiet.sh has waited for a quiet machine), with fsync durability on (memfile, persist:
# true) and a unix control socket. Its relay subnet is 198.16.0.0/14 (it
# holds perfdhcp's giaddr 198.18.0.1) with two pools of about 2^17 addresses
# (A 198.16.0.0-198.17.255.255, B 198.18.1.0-198.19.255.254), so that the
# RATE*SECONDS/2 clients of one run (120,000 by default) fit into either
# pool; the harness's own /16 pool (~65k) would not hold them. The pool
# addresses only ever appear in yiaddr: leased sends its replies to the
# relay address, and perfdhcp never uses the addresses it is given.
#
# perfdhcp (-R RATE*SECONDS/2) takes its clients in turn: MAC base+i is the
# i-th new client in the first half of the run, and the second half brings
# the same clients back (a full DORA each, which leased must answer with the
# lease the client already holds). With -f, perfdhcp also renews leases it
# got earlier in the run (REQUEST with ciaddr, as a client in RENEWING
# state), across the reload.
#
# Output, one line per run and then per phase (medians, with every value):
#   RELOAD phase=.. rep=.. rate=.. sent=.. acks=.. lost=.. drop_pct=..
#          ... srv_rcvbuf=.. cli_rcvbuf=.. reload_ms=.. cli_loss_s=..
#          cli_lost_at_hup=.. ... load=.. quiet=.. check=ok|FAIL:..
#   RELOADMED phase=.. lost+rn_lost=MEDIAN (a,b,c) cli_lost_at_hup=.. ...
#   VERDICT phase=.. beyond_baseline=.. at_hup_beyond_baseline=..
#           checks=.. result=PASS|FAIL
#   VERDICT overall=PASS|FAIL
# lost = DISCOVERs sent - ACKs received (the harness's drop count: an
# exchange lost at either step, a NAK, or no answer within 1 s); rn_lost =
# renewals sent - renewal ACKs received (-f only). srv_rcvbuf/cli_rcvbuf:
# UDP RcvbufErrors during the run in dhcp-srv (leased's socket) and
# dhcp-cli (perfdhcp's). The client namespace's counter is also sampled
# every 20 ms, which says when those losses happened: cli_loss_s is the
# span from the first to the last, in seconds from the SIGHUP (for the
# baseline, from a quarter into the run), and cli_lost_at_hup those in the
# 0.25 s after it. A phase passes when its median lost + rn_lost is no
# more than the baseline's median and all its checks hold;
# at_hup_beyond_baseline says how many of the extra losses came right
# after the SIGHUP.
#
# The namespaces, leased's configuration and lease files live only while
# the script runs (bench/lib.sh's bench_setup removes them at exit).
#
# Environment: LEASED_BIN (use this binary instead of building one;
# LEASED_REV then names it in the log),
# LEASED_SRC (build this working tree as it is; by default the committed
# HEAD of this checkout is built from `git archive`, so others'
# uncommitted edits do not end up in the binary), BENCH_QUIET=1 (wait for
# an idle machine before every run) with MAX_BUSY/QUIET_S/TIMEOUT_S (for
# quiet.sh), SMALL (default
# 1000 clients for the before/after check), CACHE_THRESHOLD
# (written into the configuration as cache-threshold when set; 0 makes
# every ACK rewrite its lease, so that re-ACKs show in the export).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=bench/lib.sh
. "$here/lib.sh"

rate=24000 period=10 renew=0 reps=3 phases='base broken newpool' outdir=$here/out/reload
while getopts r:t:f:x:p:o:qh o; do
    case $o in
        r) rate=$OPTARG ;; t) period=$OPTARG ;; f) renew=$OPTARG ;;
        x) reps=$OPTARG ;; p) phases=$OPTARG ;; o) outdir=$OPTARG ;;
        q) SMALL=${SMALL:-50} ;;
        *) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2 ;;
    esac
done
command -v perfdhcp >/dev/null || die "perfdhcp not found: run bench/deps.sh"
bench_setup
SMALL=${SMALL:-1000}
CACHE_THRESHOLD=${CACHE_THRESHOLD:-}

name=leased-reload
dir="$WORK/$name"
conf="$dir/leased.json"
sock="$dir/ctl.sock"
mkdir -p "$dir" "$outdir"
outdir=$(cd "$outdir" && pwd)
logf="$outdir/reload.log"
runs="$outdir/.runs.$$"
: >"$runs"

# The relay subnet's pools (see the header).
A_LO=198.16.0.0 A_HI=198.17.255.255
B_LO=198.18.1.0 B_HI=198.19.255.254
clients=$((rate * period / 2))
a_size=$(( $(ip_to_int $A_HI) - $(ip_to_int $A_LO) + 1 ))
b_size=$(( $(ip_to_int $B_HI) - $(ip_to_int $B_LO) + 1 ))
if [ "$clients" -gt "$a_size" ] || [ "$clients" -gt "$b_size" ]; then
    die "RATE*SECONDS/2 = $clients clients do not fit pool A ($a_size) or B ($b_size): shorten -t"
fi
[ "$renew" -lt "$rate" ] || die "-f must be below -r (perfdhcp wants renew rate <= exchange rate)"

cleanup() {
    rm -f "$runs"
    bench_cleanup
}
trap cleanup EXIT

# config good|broken|newpool: the configuration file's text.
config() {
    local pools="{ \"pool\": \"$A_LO - $A_HI\" }" valid=7200
    [ "$1" = newpool ] && pools="{ \"pool\": \"$B_LO - $B_HI\" }, $pools"
    [ "$1" = broken ] && valid='"two hours"'
    local cache=
    [ -n "$CACHE_THRESHOLD" ] && cache="
    \"cache-threshold\": $CACHE_THRESHOLD,"
    cat <<JSON
// leased under perfdhcp with SIGHUP (bench/reload.sh, $1)
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ] },
    "control-sockets": [ { "socket-type": "unix", "socket-name": "$sock" } ],
    "lease-database": {
      "type": "memfile",
      "persist": true,
      "name": "$dir/leases",
      "lfc-interval": 0
    },$cache
$(dhcp4_shared "$valid" 198.16.0.0/14 "$pools")
  }
}
JSON
}

build() {
    if [ -n "${LEASED_BIN:-}" ]; then
        bin=$LEASED_BIN; rev=${LEASED_REV:-"given binary $bin"}; return
    fi
    bin="$dir/leased"
    local src
    if [ -n "${LEASED_SRC:-}" ]; then
        src=$LEASED_SRC
        rev="$(cd "$src" && git rev-parse --short HEAD 2>/dev/null || echo snapshot)$(cd "$src" && git diff --quiet HEAD -- . 2>/dev/null || echo +dirty) (working tree $src)"
    else
        src="$dir/src"
        rm -rf "$src"; mkdir -p "$src"
        git -C "$repo" archive HEAD | tar -x -C "$src"
        rev="$(git -C "$repo" rev-parse --short HEAD) (committed HEAD, git archive)"
    fi
    (cd "$src" && CGO_ENABLED=0 go build -o "$bin.new" ./cmd/leased) && mv "$bin.new" "$bin"
    log "built $bin from $rev"
}

# rcvbuf NS: the namespace's UDP RcvbufErrors.
rcvbuf() {
    # shellcheck disable=SC2016 # awk's own $ fields
    ip netns exec "$1" awk '/^Udp:/ { if (!h) { for (i = 1; i <= NF; i++) c[$i] = i; h = 1 } else print $c["RcvbufErrors"] }' /proc/net/snmp
}

# sampler NS OUT: writes "UNIXTIME RcvbufErrors" to OUT every time the
# namespace's UDP RcvbufErrors changes, looking every 20 ms, until killed.
# Bash builtins only (no process per sample), so it costs next to nothing.
# Its PID is in $sampler_pid.
sampler() {
    # shellcheck disable=SC2016 # expanded by the inner bash
    ip netns exec "$1" bash -c '
        exec 9<> <(:)
        last=
        while :; do
            while read -r k _ _ _ _ v _; do
                [ "$k" = Udp: ] && [ "$v" != RcvbufErrors ] && r=$v
            done </proc/net/snmp
            [ "$r" != "$last" ] && { echo "$EPOCHREALTIME $r"; last=$r; }
            read -r -t 0.02 -u 9 || true
        done' >"$2" 2>/dev/null &
    sampler_pid=$!
}

# window OUT T0: when the losses in a sampler's output happened, relative
# to T0 (the SIGHUP, or for the baseline the moment it would have come):
# "cli_loss_s=FIRST..LAST" (the first and last sample at which
# RcvbufErrors had grown, in seconds from T0, or "none") and
# "cli_lost_at_hup=N", the growth seen by the samples from T0 to T0+0.25 s
# (the reloads here take under 25 ms; the 20 ms sampling can add one
# interval).
window() {
    awk -v t0="$2" 'NR == 1 { prev = $2; next }
        $2 != prev {
            d = $1 - t0
            if (first == "") first = d
            last = d
            if (d >= 0 && d <= 0.25) n += $2 - prev
            prev = $2
        }
        END {
            if (first == "") printf "cli_loss_s=none"; else printf "cli_loss_s=%+.3f..%+.3f", first, last
            printf " cli_lost_at_hup=%d\n", n
        }' "$1"
}

ctl_hash() {
    ip netns exec "$NS_SRV" "$bin" ctl -json -s "$sock" config-hash-get 2>/dev/null |
        sed -n 's/.*"hash": *"\([0-9A-Fa-f]*\)".*/\1/p' | head -n1
}

# logtime PATTERN FILE: Unix time (s.ms) of the first log line matching
# PATTERN, or "na".
logtime() {
    local t
    t=$(grep -m1 -F -- "$1" "$2" | sed -n 's/^time=\([^ ]*\) .*/\1/p')
    if [ -n "$t" ]; then date -d "$t" +%s.%3N; else echo na; fi
}

# parse REPORT: key=value fields of a perfdhcp report, with the renewals
# (section "REQUEST-ACK (renewal)") apart. (lib.sh's perf_fields has no
# renewals; this one is for -f.)
parse() {
    awk -v period="$period" '
    function ms(v) { return (v ~ /^[0-9.]+$/) ? v : "na" }
    /^\*\*\*Statistics for: DISCOVER-OFFER\*\*\*/          { sec = "do"; next }
    /^\*\*\*Statistics for: REQUEST-ACK \(renewal\)\*\*\*/ { sec = "rn"; next }
    /^\*\*\*Statistics for: REQUEST-ACK\*\*\*/             { sec = "ra"; next }
    /^\*\*\*/                                              { sec = "" }
    /^Rate: /                         { pdrate = $2 }
    sec != "" && /^sent packets:/     { sent[sec] = $3 }
    sec != "" && /^received packets:/ { rcvd[sec] = $3 }
    sec != "" && /^drops:/            { drops[sec] = $2 }
    sec != "" && /^rejected leases:/  { rej[sec] = $3 }
    sec != "" && /^orphans:/          { orph[sec] = $2 }
    sec != "" && /^avg delay:/        { av[sec] = $3 }
    sec != "" && /^max delay:/        { mx[sec] = $3 }
    END {
        s = sent["do"] + 0; a = rcvd["ra"] + 0
        printf "sent=%d offers=%d acks=%d lost=%d drop_pct=%.3f lps=%.1f do_drops=%d ra_drops=%d rejected=%d rn_sent=%d rn_acks=%d rn_lost=%d rn_drops=%d rn_rejected=%d do_orphans=%d do_avg_ms=%s do_max_ms=%s ra_avg_ms=%s ra_max_ms=%s rn_avg_ms=%s rn_max_ms=%s pd_rate=%s\n",
            s, rcvd["do"], a, s - a, (s > 0 ? 100 * (s - a) / s : 100), a / period,
            drops["do"], drops["ra"], rej["do"] + rej["ra"] + rej["rn"],
            sent["rn"], rcvd["rn"], sent["rn"] - rcvd["rn"], drops["rn"], rej["rn"], orph["do"],
            ms(av["do"]), ms(mx["do"]), ms(av["ra"]), ms(mx["ra"]), ms(av["rn"]), ms(mx["rn"]),
            (pdrate == "" ? "na" : pdrate)
    }' "$1"
}

# pools CSV T_LAUNCH T_APPLIED LOST MACPREFIX: the new-pool checks on a
# lease export, for the load run's clients (MACPREFIX).
# A client's index is its MAC minus perfdhcp's base MAC (the order of its
# first DISCOVER); at RATE a second, index RATE*(T_APPLIED-T_LAUNCH+0.1)
# left at least 0.1 s after the reload (perfdhcp starts after T_LAUNCH and
# can only fall behind its schedule, both of which make the bound safe).
# Checks: no such client holds a pool-A lease (a_new_after=0); no client
# that DISCOVERed 0.1 s or more before the reload holds a pool-B lease,
# beyond as many as perfdhcp lost exchanges (a client whose first DORA was
# lost comes back in the second half and then gets pool B); no client
# holds two leases; no lease outside the two pools. With cache-threshold 0
# every ACK rewrites the lease, so then every pool-A lease must also have
# been acknowledged after the reload (cltt = expire - valid-lifetime),
# again up to LOST; with leased's default cache-threshold (0.25, as Kea)
# a lease given again within a quarter of its lifetime is reused as it is,
# and its cltt does not move.
pools() {
    awk -F, -v alo="$(ip_to_int $A_LO)" -v ahi="$(ip_to_int $A_HI)" \
        -v blo="$(ip_to_int $B_LO)" -v bhi="$(ip_to_int $B_HI)" \
        -v rate="$rate" -v tl="$2" -v ta="$3" -v lost="$4" -v prefix="$5" -v cache0="$([ "$CACHE_THRESHOLD" = 0 ] && echo 1 || echo 0)" '
    function ip(s,   p) { split(s, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
    function idx(m,   p, h, v, k) {
        split(m, p, ":"); h = tolower(p[3] p[4] p[5] p[6]); v = 0
        for (k = 1; k <= length(h); k++) v = v * 16 + index("0123456789abcdef", substr(h, k, 1)) - 1
        return v
    }
    BEGIN { late = int(rate * (ta - tl + 0.1)); early = int(rate * (ta - tl - 0.1)); if (early < 0) early = 0 }
    NR == 1 || index(tolower($2), prefix) != 1 { next }
    {
        if (seen[$2]++) dups++
        a = ip($1); i = idx($2); cltt = $5 - $4
        if (a >= alo && a <= ahi) {
            na++
            if (i > amax || na == 1) amax = i
            if (cltt > int(ta)) arenew++
            if (i >= late) alate++
        } else if (a >= blo && a <= bhi) {
            nb++
            if (i < bmin || nb == 1) bmin = i
            if (i < early) bearly++
        } else other++
    }
    END {
        unren = na - arenew
        ok = (nb > 0 && alate == 0 && bearly <= lost && dups == 0 && other == 0 && (!cache0 || unren <= lost))
        printf "pool_a=%d pool_b=%d other=%d dup_macs=%d a_max_idx=%d b_min_idx=%d new_after_idx=%d a_new_after=%d old_before_idx=%d b_old=%d a_acked_after=%d a_not_acked_after=%d pools_ok=%s\n",
            na, nb, other, dups, amax, bmin, late, alate, early, bearly, arenew, unren, (ok ? "yes" : "no")
    }' "$1"
}

# small PRE.CSV POST.CSV: the before/after check of the SMALL clients
# (02:3f:..), who must hold the same pool-A addresses after the reload as
# before, and of the new ones (02:4f:..), who must all be in pool B.
small() {
    awk -F, -v alo="$(ip_to_int $A_LO)" -v ahi="$(ip_to_int $A_HI)" \
        -v blo="$(ip_to_int $B_LO)" -v bhi="$(ip_to_int $B_HI)" '
    function ip(s,   p) { split(s, p, "."); return ((p[1] * 256 + p[2]) * 256 + p[3]) * 256 + p[4] }
    FNR == 1 { file++; next }
    file == 1 && /^[^,]*,02:3f:/ { pre[$2] = $1; npre++; if (ip($1) < alo || ip($1) > ahi) prenota++ }
    file == 2 && /^[^,]*,02:3f:/ { npost++; if (!($2 in pre)) extra++; else if (pre[$2] != $1) moved++ }
    file == 2 && /^[^,]*,02:4f:/ { nnew++; a = ip($1); if (a < blo || a > bhi) newnotb++ }
    END {
        ok = (npre > 0 && prenota == 0 && npost == npre && extra == 0 && moved == 0 && nnew > 0 && newnotb == 0)
        printf "small_before=%d small_before_not_a=%d small_after=%d small_moved=%d small_extra=%d small_new=%d small_new_not_b=%d", npre, prenota, npost, moved, extra, nnew, newnotb
        printf " small_ok=%s\n", (ok ? "yes" : "no")
    }' "$1" "$2"
}

# smallrun DIR MACBYTE RATE CLIENTS: a 1 s perfdhcp run of its own; prints
# its parsed fields.
smallrun() {
    local r="$1/perfdhcp.txt"
    mkdir -p "$1"
    perf_run "$r" "$3" 1 "$4" -b "mac=02:$2:00:00:00:00" 2>"$1.err" || log "perfdhcp failed (see $1.err)"
    if [ -s "$r" ]; then period=1 parse "$r"; else echo "sent=0 acks=0 lost=0"; fi
}

# export_leases FILE: the store as Kea CSV (read-only, the server may run).
export_leases() { ip netns exec "$NS_SRV" "$bin" lease -c "$conf" export >"$1" 2>"$1.err"; }

# run PHASE REP: one measured run; prints its RELOAD line.
run() {
    local phase=$1 rep=$2 rd="$outdir/$1-$2" mac q load
    rm -rf "$rd"; mkdir -p "$rd"
    case $phase in base) mac=10 ;; broken) mac=20 ;; newpool) mac=30 ;; *) die "unknown phase $phase" ;; esac
    q=$(wait_quiet)
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    log "$phase rep $rep: $q"

    srv_stop "$name"
    rm -f "$dir"/leases "$dir"/leases.* "$dir"/leases-* "$sock"
    config good >"$conf"
    srv_start "$name" "$bin" serve -c "$conf" 2>>"$logf" || die "leased did not start (see $logf)"
    local pid; pid=$(cat "$dir/server.pid")
    sleep 1
    local hash0; hash0=$(ctl_hash)
    [ -n "$hash0" ] || log "no answer from config-hash-get on $sock"
    # The SMALL clients, before the measured run (in every phase, so that
    # every phase runs on the same store).
    local pre; pre=$(smallrun "$rd/small-before" 3f "$SMALL" "$SMALL")
    export_leases "$rd/leases-before.csv" || log "lease export failed: $(cat "$rd/leases-before.csv.err")"
    case $phase in broken|newpool) config "$phase" >"$conf"; cp "$conf" "$rd/after.json" ;; esac

    local srv0 cli0; srv0=$(rcvbuf "$NS_SRV"); cli0=$(rcvbuf "$NS_CLI")
    local tl th=na sampler_pid
    sampler "$NS_CLI" "$rd/cli-rcvbuf.txt"
    sleep 0.1
    tl=$(date +%s.%N)
    local extra_args=(-b "mac=02:$mac:00:00:00:00")
    [ "$renew" -gt 0 ] && extra_args+=(-f "$renew")
    mkdir -p "$rd/load"
    perf_run "$rd/load/perfdhcp.txt" "$rate" "$period" "$clients" "${extra_args[@]}" 2>"$rd/perf.err" &
    local perf=$!
    if [ "$phase" != base ]; then
        sleep "$(awk -v p="$period" 'BEGIN{print p / 4}')"
        th=$(date +%s.%N)
        kill -HUP "$pid" || log "cannot signal leased ($pid)"
    fi
    wait "$perf" || log "perfdhcp failed (see $rd/perf.err)"
    kill "$sampler_pid" 2>/dev/null || true
    wait "$sampler_pid" 2>/dev/null || true
    local srvd clid; srvd=$(( $(rcvbuf "$NS_SRV") - srv0 )); clid=$(( $(rcvbuf "$NS_CLI") - cli0 ))
    local report=
    [ -s "$rd/load/perfdhcp.txt" ] && report="$rd/load/perfdhcp.txt"
    local fields="sent=0 acks=0 lost=0 rn_lost=0"
    [ -n "$report" ] && fields=$(parse "$report")

    local checks=() extra=("small_before_acks=$(field acks "$pre")/$(field sent "$pre")") alive=yes hash1
    pid_alive "$pid" || { alive=no; checks+=(exited); }
    hash1=$(ctl_hash)
    local slog="$dir/server.out"
    local t_req t_done reload_ms=na
    if [ "$phase" != base ]; then
        t_req=$(logtime 'msg="reloading the configuration (SIGHUP)"' "$slog")
        case $phase in
        broken) t_done=$(logtime 'msg="configuration not reloaded; the previous one stays in force"' "$slog") ;;
        newpool) t_done=$(logtime 'msg="configuration applied"' "$slog") ;;
        esac
        [ "$t_req" != na ] && [ "$t_done" != na ] &&
            reload_ms=$(awk -v a="$t_req" -v b="$t_done" 'BEGIN{printf "%.0f", 1000 * (b - a)}')
        extra+=("hup_at_s=$(awk -v a="$tl" -v b="$th" 'BEGIN{printf "%.3f", b - a}')" "reload_ms=$reload_ms"
            "$(window "$rd/cli-rcvbuf.txt" "$th")")
    else
        extra+=("$(window "$rd/cli-rcvbuf.txt" "$(awk -v a="$tl" -v p="$period" 'BEGIN{printf "%.3f", a + p / 4}')")")
    fi
    case $phase in
    broken)
        # Where the bad value is: line and column (1-based, in bytes) of its
        # opening quote.
        local pos; pos=$(awk '{ c = index($0, "\"two hours\""); if (c) { print NR ":" c; exit } }' "$rd/after.json")
        local want="$conf:$pos: error: valid-lifetime"
        if grep -qF -- "$want" "$slog"; then extra+=("error_at=$pos"); else extra+=("error_at=missing"); checks+=("no-error-at-$pos"); fi
        grep -qF 'configuration not reloaded; the previous one stays in force' "$slog" || checks+=(not-said-kept)
        if [ -n "$hash0" ] && [ "$hash1" = "$hash0" ]; then extra+=(hash=same); else extra+=("hash=${hash0:0:8}->${hash1:0:8}"); checks+=(hash-changed); fi
        ;;
    newpool)
        [ "$t_done" != na ] || checks+=(not-applied)
        if [ -n "$hash1" ] && [ "$hash1" != "$hash0" ]; then extra+=(hash=changed); else extra+=("hash=${hash1:0:8}"); checks+=(hash-unchanged); fi
        # The SMALL clients again, and 100 new ones.
        local old new
        old=$(smallrun "$rd/small-after" 3f "$SMALL" "$SMALL")
        new=$(smallrun "$rd/small-new" 4f 100 100)
        extra+=("small_after_acks=$(field acks "$old")/$(field sent "$old")" "small_new_acks=$(field acks "$new")/$(field sent "$new")")
        [ "$(field lost "$old")" = 0 ] && [ "$(field sent "$old")" -gt 0 ] || checks+=(small-after-lost)
        [ "$(field lost "$new")" = 0 ] && [ "$(field sent "$new")" -gt 0 ] || checks+=(small-new-lost)
        ;;
    esac
    local lines; lines=$(grep -cE 'level=(ERROR|WARN)' "$slog" || true)
    srv_stop "$name" 2>>"$logf"
    cp "$slog" "$rd/server.out"
    if [ "$phase" = newpool ]; then
        local lost; lost=$(field lost "$fields")
        if export_leases "$rd/leases.csv"; then
            local p; p=$(pools "$rd/leases.csv" "$tl" "${t_done:-$th}" "${lost:-0}" "02:$mac:")
            extra+=("$p")
            case $p in *pools_ok=yes*) ;; *) checks+=(pools) ;; esac
            p=$(small "$rd/leases-before.csv" "$rd/leases.csv")
            extra+=("$p")
            case $p in *small_ok=yes*) ;; *) checks+=(small) ;; esac
        else
            checks+=(export-failed)
        fi
    fi
    local check=ok
    [ ${#checks[@]} -eq 0 ] || check="FAIL:$(IFS=,; echo "${checks[*]}")"
    echo "RELOAD phase=$phase rep=$rep rate=$rate period_s=$period clients=$clients renew_rate=$renew $fields srv_rcvbuf=$srvd cli_rcvbuf=$clid ${extra[*]} log_warn_error=$lines alive=$alive load=\"$load\" quiet=\"${q#quiet: }\" check=$check"
}

build
{
    echo "# reload $(date -u +%Y-%m-%dT%H:%M:%SZ) host=$(hostname) cpus=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg) leased=$rev"
    echo "# rate=$rate period=${period}s clients=$clients renew_rate=$renew reps=$reps cache-threshold=${CACHE_THRESHOLD:-default} phases: $phases"
} | tee -a "$logf"

for rep in $(seq "$reps"); do
    for phase in $phases; do
        line=$(run "$phase" "$rep")
        echo "$line" | tee -a "$logf"
        echo "$line" >>"$runs"
    done
done

# Medians per phase, every value in brackets; then the verdict.
awk '
    function med(k, p,    n, i, j, t, a) {
        n = split(vals[k, p], a, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
        if (n == 0) return "na"
        return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    function all(k, p,   s) { s = vals[k, p]; sub(/^ /, "", s); gsub(/ /, ",", s); return s }
    {
        delete f
        for (i = 2; i <= NF; i++) { j = index($i, "="); if (j) f[substr($i, 1, j - 1)] = substr($i, j + 1) }
        p = f["phase"]; if (!(p in seen)) { seen[p] = 1; order[++np] = p }
        n[p]++
        f["tot_lost"] = f["lost"] + f["rn_lost"]
        split("tot_lost cli_lost_at_hup lost drop_pct rn_lost rejected lps do_max_ms ra_avg_ms ra_max_ms srv_rcvbuf cli_rcvbuf reload_ms", keys, " ")
        for (k in keys) if (keys[k] in f) vals[keys[k], p] = vals[keys[k], p] " " f[keys[k]]
        if (f["check"] != "ok") bad[p] = bad[p] " rep" f["rep"] ":" f["check"]
    }
    END {
        for (i = 1; i <= np; i++) {
            p = order[i]
            printf "RELOADMED phase=%s reps=%d lost+rn_lost=%s (%s) cli_lost_at_hup=%s (%s) lost=%s (%s) drop_pct=%s (%s) rn_lost=%s (%s) rejected=%s (%s) lps=%s do_max_ms=%s (%s) ra_avg_ms=%s ra_max_ms=%s (%s) srv_rcvbuf=%s (%s) cli_rcvbuf=%s (%s)%s\n",
                p, n[p], med("tot_lost", p), all("tot_lost", p), med("cli_lost_at_hup", p), all("cli_lost_at_hup", p), med("lost", p), all("lost", p),
                med("drop_pct", p), all("drop_pct", p), med("rn_lost", p), all("rn_lost", p),
                med("rejected", p), all("rejected", p), med("lps", p), med("do_max_ms", p), all("do_max_ms", p),
                med("ra_avg_ms", p), med("ra_max_ms", p), all("ra_max_ms", p),
                med("srv_rcvbuf", p), all("srv_rcvbuf", p), med("cli_rcvbuf", p), all("cli_rcvbuf", p),
                (p == "base") ? "" : sprintf(" reload_ms=%s (%s)", med("reload_ms", p), all("reload_ms", p))
        }
        overall = "PASS"
        if (!("base" in seen)) { print "VERDICT overall=na (no baseline phase)"; exit }
        b = med("tot_lost", "base"); bh = med("cli_lost_at_hup", "base")
        split(vals["tot_lost", "base"], ba, " "); bmax = 0; for (j in ba) if (ba[j] + 0 > bmax) bmax = ba[j] + 0
        for (i = 1; i <= np; i++) {
            p = order[i]; if (p == "base") continue
            d = med("tot_lost", p) - b
            dh = med("cli_lost_at_hup", p) - bh
            res = (d <= 0 && bad[p] == "") ? "PASS" : "FAIL"
            if (res == "FAIL") overall = "FAIL"
            printf "VERDICT phase=%s median_lost=%s baseline_median_lost=%s beyond_baseline=%d baseline_max=%d within_baseline_spread=%s at_hup_beyond_baseline=%d checks=%s result=%s\n",
                p, med("tot_lost", p), b, (d > 0 ? d : 0), bmax, (med("tot_lost", p) <= bmax ? "yes" : "no"),
                (dh > 0 ? dh : 0), (bad[p] == "" ? "ok" : "FAIL" bad[p]), res
        }
        printf "VERDICT overall=%s\n", overall
    }' "$runs" | tee -a "$logf"
