#!/usr/bin/env bash
# A throwaway MariaDB for tests and benchmarks: its own datadir under DIR, loopback only, a free
# port, started and stopped by PID. Writes the root URL to DIR/url.
#   mariadb.sh start DIR    mariadb.sh stop DIR    mariadb.sh restart DIR (same port, same data)
#   mariadb.sh resume DIR   (after a stop: start again on the same port with the same data)
# The default is fsync-light (innodb_flush_log_at_trx_commit=2, no binary log), for fast tests.
# CLAIMS_MARIADB_DURABLE=1 configures the server as production ones are: the redo log flushed
# and synced at every commit, the binary log on (ROW) and synced at every commit, so a commit
# costs what it costs in production (benchmarks). CLAIMS_MARIADB_BUFFER_POOL sets the InnoDB
# buffer pool (default 256M). CLAIMS_MARIADB_TLS_CERT and CLAIMS_MARIADB_TLS_KEY (PEM files)
# make it offer TLS. All are remembered in DIR for restart and resume.
set -euo pipefail
cmd=${1:?start|stop|restart|resume}
dir=$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)

stop() {
  [ -f "$dir/pid" ] || return 0
  local pid; pid=$(cat "$dir/pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
  fi
  rm -f "$dir/pid"
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

start() {
  local port=${1:-}
  [ -n "$port" ] || port=$(free_port)
  local durable=${CLAIMS_MARIADB_DURABLE:-0} pool=${CLAIMS_MARIADB_BUFFER_POOL:-256M}
  if [ -f "$dir/settings" ]; then read -r durable pool <"$dir/settings"; fi
  echo "$durable $pool" >"$dir/settings"
  local tls=()
  if [ -n "${CLAIMS_MARIADB_TLS_CERT:-}" ] && [ ! -f "$dir/tls" ]; then
    printf '%s\n%s\n%s\n' "$CLAIMS_MARIADB_TLS_CERT" "$CLAIMS_MARIADB_TLS_KEY" \
      "${CLAIMS_MARIADB_TLS_CA:-}" >"$dir/tls"
  fi
  if [ -f "$dir/tls" ]; then
    local cert key ca; { read -r cert; read -r key; read -r ca; } <"$dir/tls"
    tls=(--ssl-cert="$cert" --ssl-key="$key")
    if [ -n "$ca" ]; then tls+=(--ssl-ca="$ca"); fi
  fi
  local flush=(--innodb-flush-log-at-trx-commit=2)
  if [ "$durable" = 1 ]; then
    flush=(--innodb-flush-log-at-trx-commit=1 --sync-binlog=1 --log-bin="$dir/data/binlog"
           --server-id=1)
  fi
  if [ ! -d "$dir/data/mysql" ]; then
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db --user="$(id -un)" >"$dir/install.log" 2>&1 ||
      { echo "mariadb: mariadb-install-db failed:" >&2; cat "$dir/install.log" >&2; exit 1; }
  fi
  # Its own temporary directory: a test or cleaner that empties /tmp must not delete the files
  # of an INSERT ... SELECT in flight (a 10M-claim fill died of that).
  mkdir -p "$dir/tmp"
  mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" \
    --tmpdir="$dir/tmp" \
    --bind-address=127.0.0.1 --user="$(id -un)" --skip-name-resolve --log-error="$dir/error.log" \
    --pid-file="$dir/mysqld.pid" --innodb-buffer-pool-size="$pool" "${flush[@]}" \
    --max-connections=500 --binlog-format=ROW ${tls[@]+"${tls[@]}"} &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  for _ in $(seq 1 200); do
    if mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
      mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e \
        "CREATE USER IF NOT EXISTS 'claims'@'127.0.0.1' IDENTIFIED BY 'claims';
         GRANT ALL ON *.* TO 'claims'@'127.0.0.1'; FLUSH PRIVILEGES;"
      echo "mysql://claims:claims@127.0.0.1:$port/" >"$dir/url"
      echo "mariadb: listening on 127.0.0.1:$port (pid $(cat "$dir/pid"), durable=$durable)"
      return 0
    fi
    kill -0 "$(cat "$dir/pid")" 2>/dev/null || { cat "$dir/error.log" >&2; exit 1; }
    sleep 0.1
  done
  echo "mariadb: did not start; see $dir/error.log" >&2
  stop
  exit 1
}

case "$cmd" in
  start) stop; rm -rf "$dir/data" "$dir/settings" "$dir/tls"; start ;;
  stop) stop ;;
  restart|resume) port=$(cat "$dir/port"); stop; start "$port" ;;
  *) echo "usage: $0 start|stop|restart|resume DIR" >&2; exit 2 ;;
esac
