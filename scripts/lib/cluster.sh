# Sourced by scripts/test and scripts/bench-*: a throwaway PostgreSQL cluster in a folder
# under /tmp, run as the postgres user when root, listening only on a unix socket there,
# with Rapport's login role (no superuser, CREATEROLE, NOINHERIT) and its database.
#   start_cluster MODE    MODE "test" turns durability off for speed; "bench" keeps the defaults.
# Sets CLUSTER_DIR, PG_BIN, RAPPORT_URL (login role) and SUPERUSER_URL; stops and removes
# the cluster when the calling script exits.

start_cluster() {
  local mode=$1
  PG_BIN=$(scripts/pg-bindir)
  CLUSTER_DIR=$(mktemp -d /tmp/rapport-$mode.XXXXXX)
  chmod 755 "$CLUSTER_DIR"
  AS_PG=()
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$CLUSTER_DIR"
    AS_PG=(runuser -u postgres --)
  fi
  trap stop_cluster EXIT
  echo "Starting a $mode PostgreSQL ($("$PG_BIN/postgres" --version)) in $CLUSTER_DIR" >&2
  "${AS_PG[@]}" "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust -E UTF8 --no-locale --no-sync >/dev/null
  {
    echo "listen_addresses = ''"
    echo "unix_socket_directories = '$CLUSTER_DIR'"
    echo "max_connections = 400"
    if [ "$mode" = test ]; then
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    else
      echo "shared_buffers = 1GB"
      echo "max_wal_size = 4GB"
    fi
  } >> "$CLUSTER_DIR/data/postgresql.conf"
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/log" -w start >/dev/null
  "$PG_BIN/psql" -qX -h "$CLUSTER_DIR" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE rapport LOGIN NOSUPERUSER NOINHERIT CREATEROLE" \
    -c "CREATE DATABASE rapport OWNER rapport" >/dev/null
  RAPPORT_URL="postgres://rapport@/rapport?host=$CLUSTER_DIR"
  SUPERUSER_URL="postgres://postgres@/rapport?host=$CLUSTER_DIR"
}

stop_cluster() {
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER_DIR"
}
