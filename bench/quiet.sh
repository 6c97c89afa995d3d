#!/usr/bin/env bash
# Wait until the machine is quiet before a measurement: the whole VM must
# have used less than MAX_BUSY cores (default 0.3) in each of QUIET_S
# consecutive seconds (default 3), judged from /proc/stat. Gives up after
# TIMEOUT_S seconds (default 900) and goes on anyway. Prints what it saw on
# stderr, one line:
#
#   quiet: waited 12 s, busy 0.08 cores, load 0.91 1.20 1.64
#
# The machine is shared; other people's builds and fuzzers come and go.
# bench/run and bench/reload.sh call it before every measured run when
# BENCH_QUIET=1 (bench/run -wait-quiet), so that each run starts on a
# quiet machine.
#
# A load average lags by a minute, which is why this samples busy time.
set -euo pipefail
MAX_BUSY=${MAX_BUSY:-0.3} QUIET_S=${QUIET_S:-3} TIMEOUT_S=${TIMEOUT_S:-900}
ncpu=$(nproc)
tck=$(getconf CLK_TCK)
# sample -> "wall_seconds idle_ticks" (idle+iowait over all CPUs). Idle time
# is exact on this kernel (nohz); the busy columns are tick-sampled and
# undercount, so busy = wall * ncpu - idle.
sample() { awk -v w="$(date +%s.%N)" '/^cpu /{print w, $5+$6; exit}' /proc/stat; }
waited=0 ok=0 busy=0
read -r w0 i0 < <(sample)
while [ "$ok" -lt "$QUIET_S" ] && [ "$waited" -lt "$TIMEOUT_S" ]; do
    sleep 1
    waited=$((waited + 1))
    read -r w1 i1 < <(sample)
    busy=$(awk -v w0="$w0" -v w1="$w1" -v di=$((i1 - i0)) -v n="$ncpu" -v t="$tck" \
        'BEGIN{b = n - di / t / (w1 - w0); if (b < 0) b = 0; printf "%.2f", b}')
    w0=$w1 i0=$i1
    if awk -v b="$busy" -v m="$MAX_BUSY" 'BEGIN{exit !(b < m)}'; then ok=$((ok + 1)); else ok=0; fi
done
state=quiet
[ "$ok" -ge "$QUIET_S" ] || state="NOT quiet (gave up)"
echo "quiet: $state after ${waited} s, busy $busy cores, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
