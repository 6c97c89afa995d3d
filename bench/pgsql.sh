# shellcheck shell=bash
# The PostgreSQL part of the harness, sourced by bench/run after lib.sh
# (bench/run pgsql): leased and kea-dhcp4 2.2 keeping their leases in one
# private PostgreSQL cluster, beside leased on its own journal.
#
# A private cluster of Debian's PostgreSQL for the run: initdb and
# postgres as nobody in $WORK/pg, listening only on a unix socket there
# (which reaches into the server namespace: a socket is a file), fsync
# on, so that a commit is on disk before leased or Kea acknowledges a
# lease. Its template database kea_template holds Kea 2.2's schema, made
# by Debian's kea-admin db-init pgsql; every sweep point gets a fresh copy
# (pg_fresh_db). The cluster stops with the run (bench_cleanup stops every
# $WORK/*/server.pid).
PG_USER=kea
PG_PASSWORD=bench-pw
PG_PORT=5432
PG_DB=kea

pg_bindir() {
    local d
    for d in /usr/lib/postgresql/*/bin; do [ -x "$d/postgres" ] && echo "$d"; done | sort -V | tail -n1
}

# pg_as_nobody CMD...: runs CMD as nobody (postgres refuses root).
pg_as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

pg_psql() { PGPASSWORD=$PG_PASSWORD PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h "$WORK/pg" -p "$PG_PORT" -U "$PG_USER" "$@"; }

# pg_up: starts the cluster and fills kea_template.
pg_up() {
    local bin dir="$WORK/pg" _
    bin=$(pg_bindir)
    [ -n "$bin" ] || die "no PostgreSQL server in /usr/lib/postgresql: install Debian's postgresql (scripts/test does)"
    mkdir -p "$dir"
    printf '%s\n' "$PG_PASSWORD" >"$dir/pw"
    chown -R nobody:nogroup "$dir"
    chmod 700 "$dir"
    pg_as_nobody "$bin/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pw" --auth=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-instructions >"$dir/initdb.out" 2>&1 ||
        { cat "$dir/initdb.out" >&2; die "initdb failed"; }
    # The socket directory must be reachable by the servers (Kea runs
    # as root here, leased too; the mode only lets others through).
    chmod 711 "$dir"
    TZ=UTC pg_as_nobody "$bin/postgres" -D "$dir/data" -k "$dir" -p "$PG_PORT" -c listen_addresses= \
        -c fsync=on -c synchronous_commit=on -c max_connections=200 -c timezone=UTC \
        >"$dir/server.out" 2>&1 </dev/null &
    echo $! >"$dir/server.pid"
    for _ in $(seq 150); do
        pg_psql -d postgres -c 'SELECT 1' >/dev/null 2>&1 && break
        pid_alive "$(cat "$dir/server.pid")" || { tail -n 20 "$dir/server.out" >&2; die "postgres exited"; }
        sleep 0.1
    done
    pg_psql -d postgres -c "CREATE DATABASE kea_template" || die "cannot create kea_template"
    TZ=UTC kea-admin db-init pgsql -u "$PG_USER" -p "$PG_PASSWORD" -n kea_template -h "$dir" -P "$PG_PORT" \
        >"$dir/kea-admin.out" 2>&1 || { cat "$dir/kea-admin.out" >&2; die "kea-admin db-init pgsql failed"; }
    PG_VERSION=$(pg_psql -d postgres -At -c 'SHOW server_version' | awk '{ print $1 }')
    log "PostgreSQL $PG_VERSION in $dir (fsync on), Kea's schema $(pg_psql -d kea_template -At -c 'SELECT version || $$.$$ || minor FROM schema_version')"
}

# pg_fresh_db: database $PG_DB anew, an empty copy of kea_template.
pg_fresh_db() {
    pg_psql -d postgres -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" -c "CREATE DATABASE $PG_DB TEMPLATE kea_template" ||
        die "cannot make a fresh database $PG_DB"
}

# pg_lease_db: the lease-database object for leased and Kea.
pg_lease_db() {
    printf '{ "type": "postgresql", "name": "%s", "host": "%s", "port": %d, "user": "%s", "password": "%s" }' \
        "$PG_DB" "$WORK/pg" "$PG_PORT" "$PG_USER" "$PG_PASSWORD"
}

start_leased_pg() {
    local dir
    dir=$(fresh_dir "$1")
    pg_fresh_db
    cat >"$dir/leased.json" <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ] },
    "lease-database": $(pg_lease_db),
$(dhcp4_shared)
  }
}
JSON
    srv_start "$1" "$LEASED_BIN" serve -c "$dir/leased.json"
}

start_kea_pg() {
    local dir
    dir=$(fresh_dir "$1")
    pg_fresh_db
    kea_config "$dir" "$2" | sed "s|\"lease-database\": {[^}]*}|\"lease-database\": $(pg_lease_db)|" >"$dir/kea.json"
    grep -q '"postgresql"' "$dir/kea.json" || die "kea_config's lease-database was not replaced"
    export KEA_PIDFILE_DIR="$dir" KEA_LOCKFILE_DIR="$dir"
    ip netns exec "$NS_SRV" env TZ=UTC kea-dhcp4 -t "$dir/kea.json" >"$dir/check.out" 2>&1 ||
        { cat "$dir/check.out" >&2; die "kea-dhcp4 -t rejected $dir/kea.json"; }
    srv_start "$1" env TZ=UTC kea-dhcp4 -c "$dir/kea.json"
}

# The servers of this mode join lib.sh's: start_server and server_title
# take lib.sh's as lib_start_server and lib_server_title, and answer for
# the PostgreSQL servers themselves.
eval "lib_$(declare -f start_server)"
eval "lib_$(declare -f server_title)"

start_server() {
    case $1 in
    leased-pg) start_leased_pg "$1" ;;
    kea-pg) start_kea_pg "$1" st ;;
    kea-mt-pg) start_kea_pg "$1" mt ;;
    *) lib_start_server "$1" ;;
    esac
}

server_title() {
    case $1 in
    leased-pg) echo "leased ($LEASED_REV), PostgreSQL ${PG_VERSION:-} (fsync on), Kea's schema 13.0" ;;
    kea-pg) echo "Kea $(kea_version) single-threaded, the same PostgreSQL" ;;
    kea-mt-pg) echo "Kea $(kea_version) multi-threaded (2 threads, queue 64), the same PostgreSQL" ;;
    *) lib_server_title "$1" ;;
    esac
}

# The servers bench/run pgsql runs by default: leased and both Kea modes
# on the cluster, and leased on its journal, in the same run.
SERVERS_PG="leased-pg kea-pg kea-mt-pg leased"

# pg_default_rates: the sweep's offered rates for the PostgreSQL servers,
# unless RATES_<server> gives them. Every commit waits for the disk
# (fsync on), so the rates are far under the journal's.
pg_default_rates() {
    : "${RATES_leased_pg:=1000 2000 4000 6000 8000 12000 16000}"
    : "${RATES_kea_pg:=250 500 1000 1500 2000 3000}"
    : "${RATES_kea_mt_pg:=250 500 1000 1500 2000 3000}"
}

# pg_summary: the issue's two ratios, from the sweep's knees: leased on
# PostgreSQL against Kea on the same PostgreSQL (goal: at least 3), and
# against leased on its journal (goal: at least 0.5).
pg_summary() {
    local lp other ko
    lp=$(knee leased-pg | awk '{ print $1 }')
    out "## PostgreSQL summary (bench/run pgsql)"
    out
    for other in kea-pg kea-mt-pg leased; do
        case " $servers " in *" $other "*) ;; *) continue ;; esac
        ko=$(knee "$other" | awk '{ print $1 }')
        if [ "$lp" = none ] || [ "$ko" = none ] || [ -z "$lp" ] || [ -z "$ko" ]; then
            out "knee of leased on PostgreSQL / knee of $other: n/a ($lp / $ko)"
        else
            out "knee of leased on PostgreSQL / knee of $other: $(awk -v a="$lp" -v b="$ko" 'BEGIN { printf "%.2f", a / b }') ($lp / $ko)"
        fi
        out
    done
}
