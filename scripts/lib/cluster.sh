# Sourced by scripts/test and scripts/bench-*: a throwaway PostgreSQL cluster in a folder
# under /tmp, run as the postgres user when root, listening only on a unix socket there,
# with Rapport's login role (no superuser, CREATEROLE, NOINHERIT) and its database.
#   start_cluster MODE    MODE "test" turns durability off for speed; "bench" keeps the defaults.
# Sets CLUSTER_DIR, CLUSTER_PORT, PG_BIN, RAPPORT_URL (login role) and SUPERUSER_URL; stops and removes
# the cluster when the calling script exits. In "test" mode it also listens on a free port
# of 127.0.0.1 with TLS and a self-signed certificate, as a Citus coordinator does, and sets
# TLS_URL (the login role over TCP, no sslmode) to test what each sslmode does with it.

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
      TLS_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
      echo "listen_addresses = '127.0.0.1'"
      echo "port = $TLS_PORT"
      echo "ssl = on"
      echo "ssl_cert_file = 'server.crt'"
      echo "ssl_key_file = 'server.key'"
      echo "fsync = off"
      echo "synchronous_commit = off"
      echo "full_page_writes = off"
    else
      echo "shared_buffers = 1GB"
      echo "max_wal_size = 4GB"
    fi
  } >> "$CLUSTER_DIR/data/postgresql.conf"
  if [ "$mode" = test ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rapport-test" \
      -keyout "$CLUSTER_DIR/data/server.key" -out "$CLUSTER_DIR/data/server.crt" 2>/dev/null
    chmod 600 "$CLUSTER_DIR/data/server.key"
    [ ${#AS_PG[@]} -eq 0 ] || chown postgres: "$CLUSTER_DIR/data/server.key" "$CLUSTER_DIR/data/server.crt"
  fi
  local port=${TLS_PORT:-5432}
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/log" -w start >/dev/null
  "$PG_BIN/psql" -qX -h "$CLUSTER_DIR" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1 \
    -c "CREATE ROLE rapport LOGIN NOSUPERUSER NOINHERIT CREATEROLE" \
    -c "CREATE DATABASE rapport OWNER rapport" >/dev/null
  CLUSTER_PORT=$port
  RAPPORT_URL="postgres://rapport@/rapport?host=$CLUSTER_DIR&port=$port"
  SUPERUSER_URL="postgres://postgres@/rapport?host=$CLUSTER_DIR&port=$port"
  TLS_URL="postgres://rapport@127.0.0.1:$port/rapport"
}

stop_cluster() {
  "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$CLUSTER_DIR"
}
