# shellcheck shell=bash
# The MySQL part of the harness, sourced by bench/run after lib.sh and
# pgsql.sh (bench/run mysql): leased and kea-dhcp4 2.2 keeping their
# leases in one private MariaDB server, beside leased on its own journal.
#
# A private server of Debian's MariaDB for the run: mariadb-install-db and
# mariadbd as nobody in $WORK/my, with no network (--skip-networking),
# listening only on a unix socket there (which reaches into the server
# namespace: a socket is a file). It is durable as a database server is
# set up for leases: innodb_flush_log_at_trx_commit=1 (InnoDB's log is
# written and fsync'd at every commit, so a commit is on disk before
# leased or Kea acknowledges a lease) and the doublewrite buffer on (its
# default). The binary log is off (--skip-log-bin), as in Debian's
# default configuration, so sync_binlog has nothing to sync. Kea 2.2's
# schema goes into kea_template with Debian's kea-admin db-init mysql;
# MariaDB has no template databases, so mariadb-dump copies it once and
# every sweep point loads that copy into a fresh database (my_fresh_db).
# The server stops with the run (bench_cleanup stops every
# $WORK/*/server.pid).
#
# kea-dhcp4 2.2 has no socket parameter: "host": "localhost" means
# libmysqlclient's socket, which MYSQL_UNIX_PORT names; leased reads
# "localhost" the same way, and gets the socket's path as its host.
MY_USER=kea
MY_PASSWORD=bench-pw
MY_DB=kea

my_prog() {
    local n
    for n in "$@"; do
        command -v "$n" && return 0
    done
    return 1
}

# my_as_nobody CMD...: runs CMD as nobody (mariadbd refuses root unless told).
my_as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }

# my_sql [DB]: runs the statements on stdin as root over the socket.
my_sql() { mariadb --no-defaults --socket="$WORK/my/sock" -u root -B -N "$@"; }

# my_up: starts the server and fills kea_template.
my_up() {
    local dir="$WORK/my" install mariadbd _
    install=$(my_prog mariadb-install-db mysql_install_db) ||
        die "mariadb-install-db missing: install Debian's mariadb-server (scripts/test does)"
    mariadbd=$(my_prog mariadbd mysqld) || die "mariadbd missing: install Debian's mariadb-server"
    mkdir -p "$dir"
    chown nobody:nogroup "$dir"
    # The socket's directory must be reachable by the servers (Kea runs
    # as root here, leased too; the mode only lets others through).
    chmod 711 "$dir"
    my_as_nobody "$install" --no-defaults --auth-root-authentication-method=normal \
        --datadir="$dir/data" --skip-test-db >"$dir/install.out" 2>&1 ||
        { cat "$dir/install.out" >&2; die "mariadb-install-db failed"; }
    TZ=UTC my_as_nobody "$mariadbd" --no-defaults --datadir="$dir/data" --socket="$dir/sock" \
        --skip-networking --pid-file="$dir/mariadbd.pid" --log-error="$dir/server.out" \
        --innodb-flush-log-at-trx-commit=1 --skip-log-bin --max-connections=300 \
        --innodb-buffer-pool-size=256M --default-time-zone=+00:00 \
        >>"$dir/server.out" 2>&1 </dev/null &
    echo $! >"$dir/server.pid"
    for _ in $(seq 300); do
        echo 'SELECT 1' | my_sql >/dev/null 2>&1 && break
        pid_alive "$(cat "$dir/server.pid")" || { tail -n 20 "$dir/server.out" >&2; die "mariadbd exited"; }
        sleep 0.1
    done
    my_sql <<SQL || die "cannot make user $MY_USER and kea_template"
CREATE USER '$MY_USER'@'localhost' IDENTIFIED BY '$MY_PASSWORD';
GRANT ALL ON *.* TO '$MY_USER'@'localhost';
CREATE DATABASE kea_template;
SQL
    TZ=UTC kea-admin db-init mysql -u "$MY_USER" -p "$MY_PASSWORD" -n kea_template -h localhost \
        -x "--socket=$dir/sock" >"$dir/kea-admin.out" 2>&1 ||
        { cat "$dir/kea-admin.out" >&2; die "kea-admin db-init mysql failed"; }
    mariadb-dump --no-defaults --socket="$dir/sock" -u root --routines --triggers --skip-comments \
        kea_template >"$dir/template.sql" || die "mariadb-dump kea_template failed"
    MY_VERSION=$(echo 'SELECT VERSION()' | my_sql | sed 's/-.*//')
    MY_SCHEMA=$(echo 'SELECT CONCAT(version, ".", minor) FROM schema_version' | my_sql kea_template)
    log "MariaDB $MY_VERSION in $dir (innodb_flush_log_at_trx_commit=$(echo 'SELECT @@innodb_flush_log_at_trx_commit' | my_sql), log_bin=$(echo 'SELECT @@log_bin' | my_sql)), Kea's schema $MY_SCHEMA"
}

# my_fresh_db: database $MY_DB anew, an empty copy of kea_template.
my_fresh_db() {
    echo "DROP DATABASE IF EXISTS $MY_DB; CREATE DATABASE $MY_DB" | my_sql ||
        die "cannot make a fresh database $MY_DB"
    my_sql "$MY_DB" <"$WORK/my/template.sql" || die "cannot load Kea's schema into $MY_DB"
}

# my_lease_db: the lease-database object for leased and Kea.
my_lease_db() {
    printf '{ "type": "mysql", "name": "%s", "host": "localhost", "user": "%s", "password": "%s" }' \
        "$MY_DB" "$MY_USER" "$MY_PASSWORD"
}

start_leased_my() {
    local dir
    dir=$(fresh_dir "$1")
    my_fresh_db
    cat >"$dir/leased.json" <<JSON
{
  "Dhcp4": {
    "interfaces-config": { "interfaces": [ "$SRV_IF" ] },
    "lease-database": $(my_lease_db),
$(dhcp4_shared)
  }
}
JSON
    srv_start "$1" env MYSQL_UNIX_PORT="$WORK/my/sock" "$LEASED_BIN" serve -c "$dir/leased.json"
}

start_kea_my() {
    local dir
    dir=$(fresh_dir "$1")
    my_fresh_db
    kea_config "$dir" "$2" | sed "s|\"lease-database\": {[^}]*}|\"lease-database\": $(my_lease_db)|" >"$dir/kea.json"
    grep -q '"mysql"' "$dir/kea.json" || die "kea_config's lease-database was not replaced"
    export KEA_PIDFILE_DIR="$dir" KEA_LOCKFILE_DIR="$dir"
    ip netns exec "$NS_SRV" env TZ=UTC MYSQL_UNIX_PORT="$WORK/my/sock" kea-dhcp4 -t "$dir/kea.json" >"$dir/check.out" 2>&1 ||
        { cat "$dir/check.out" >&2; die "kea-dhcp4 -t rejected $dir/kea.json"; }
    srv_start "$1" env TZ=UTC MYSQL_UNIX_PORT="$WORK/my/sock" kea-dhcp4 -c "$dir/kea.json"
}

# The servers of this mode join those before: start_server and
# server_title take the ones defined so far (lib.sh's, wrapped by
# pgsql.sh's) as my_prev_start_server and my_prev_server_title.
eval "my_prev_$(declare -f start_server)"
eval "my_prev_$(declare -f server_title)"

start_server() {
    case $1 in
    leased-my) start_leased_my "$1" ;;
    kea-my) start_kea_my "$1" st ;;
    kea-mt-my) start_kea_my "$1" mt ;;
    *) my_prev_start_server "$1" ;;
    esac
}

server_title() {
    case $1 in
    leased-my) echo "leased ($LEASED_REV), MariaDB ${MY_VERSION:-} (flush at every commit), Kea's schema ${MY_SCHEMA:-}" ;;
    kea-my) echo "Kea $(kea_version) single-threaded, the same MariaDB" ;;
    kea-mt-my) echo "Kea $(kea_version) multi-threaded (2 threads, queue 64), the same MariaDB" ;;
    *) my_prev_server_title "$1" ;;
    esac
}

# The servers bench/run mysql runs by default: leased and both Kea modes
# on the server, and leased on its journal, in the same run.
SERVERS_MY="leased-my kea-my kea-mt-my leased"

# my_default_rates: the sweep's offered rates for the MariaDB servers,
# unless RATES_<server> gives them. Every commit waits for the disk, so
# the rates are far under the journal's.
my_default_rates() {
    : "${RATES_leased_my:=250 500 1000 2000 4000 6000 8000}"
    : "${RATES_kea_my:=100 250 500 1000 1500 2000}"
    : "${RATES_kea_mt_my:=100 250 500 1000 1500 2000}"
}

# my_summary: the issue's ratio, from the sweep's knees: leased on MariaDB
# against Kea on the same MariaDB (goal: at least 3), and against leased
# on its journal.
my_summary() {
    local lm other ko
    lm=$(knee leased-my | awk '{ print $1 }')
    out "## MySQL summary (bench/run mysql)"
    out
    for other in kea-my kea-mt-my leased; do
        case " $servers " in *" $other "*) ;; *) continue ;; esac
        ko=$(knee "$other" | awk '{ print $1 }')
        if [ "$lm" = none ] || [ "$ko" = none ] || [ -z "$lm" ] || [ -z "$ko" ]; then
            out "knee of leased on MariaDB / knee of $other: n/a ($lm / $ko)"
        else
            out "knee of leased on MariaDB / knee of $other: $(awk -v a="$lm" -v b="$ko" 'BEGIN { printf "%.2f", a / b }') ($lm / $ko)"
        fi
        out
    done
}
