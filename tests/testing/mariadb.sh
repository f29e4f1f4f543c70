#!/usr/bin/env bash
# A throwaway MariaDB for tests and benchmarks: its own datadir under DIR, loopback only, a free
# port, started and stopped by PID. Writes the root URL to DIR/url.
#   mariadb.sh start DIR    mariadb.sh stop DIR    mariadb.sh restart DIR (same port, same data)
#   mariadb.sh resume DIR   (after a stop: start again on the same port with the same data)
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
  if [ ! -d "$dir/data/mysql" ]; then
    rm -rf "$dir/data"
    mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal \
      --skip-test-db --user="$(id -un)" >"$dir/install.log" 2>&1
  fi
  mariadbd --no-defaults --datadir="$dir/data" --socket="$dir/mysqld.sock" --port="$port" \
    --bind-address=127.0.0.1 --user="$(id -un)" --skip-name-resolve --log-error="$dir/error.log" \
    --pid-file="$dir/mysqld.pid" --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 \
    --max-connections=500 --binlog-format=ROW &
  echo $! >"$dir/pid"
  echo "$port" >"$dir/port"
  for _ in $(seq 1 200); do
    if mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
      mariadb --no-defaults --socket="$dir/mysqld.sock" -uroot -e \
        "CREATE USER IF NOT EXISTS 'claims'@'127.0.0.1' IDENTIFIED BY 'claims';
         GRANT ALL ON *.* TO 'claims'@'127.0.0.1'; FLUSH PRIVILEGES;"
      echo "mysql://claims:claims@127.0.0.1:$port/" >"$dir/url"
      echo "mariadb: listening on 127.0.0.1:$port (pid $(cat "$dir/pid"))"
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
  start) stop; rm -rf "$dir/data"; start ;;
  stop) stop ;;
  restart|resume) port=$(cat "$dir/port"); stop; start "$port" ;;
  *) echo "usage: $0 start|stop|restart|resume DIR" >&2; exit 2 ;;
esac
