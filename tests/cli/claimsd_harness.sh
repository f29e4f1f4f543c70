# Sourced by the scripts that run claimsctl against a real claimsd on loopback. Needs `claimsd`
# and `config_dir` set. Gives a work directory ($work) with the shipped workflows and
# calendars, removed on exit with every claimsd started here stopped first, and:
#   write_config [PORT [SED ARGS...]]  the shipped config on SQLite in $work, listening on
#                                      127.0.0.1:PORT (0: a free port), no health port, plus
#                                      the sed expressions given
#   start_claimsd [LOG [CONFIG]]       starts claimsd on CONFIG ($work/claimsd.yaml, from
#                                      write_config); sets pid and port, adds pid to pids
#   stop_claimsd                       stops the last one started
work=$(mktemp -d)
pids=()
pid=
port=
stop_every_claimsd() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap stop_every_claimsd EXIT
cp -r "$config_dir/workflows" "$config_dir/calendars" "$work/"

write_config() {
  local listen_port=${1:-0}
  [ $# -gt 0 ] && shift
  sed -e 's|^  url: sqlite:.*|  url: sqlite:claims.db|' \
      -e "s|^listen: .*|listen: 127.0.0.1:$listen_port|" \
      -e 's|^  listen: .*|  listen: ""|' \
      "$@" "$config_dir/claimsd.yaml" >"$work/claimsd.yaml"
}

start_claimsd() {
  local log=${1:-$work/log} config=${2:-$work/claimsd.yaml}
  : >"$log"
  (cd "$work" && exec "$claimsd" --config "$config") >"$log" 2>&1 &
  pid=$!
  pids+=("$pid")
  port=
  for _ in $(seq 1 100); do
    port=$(grep -o 'port [0-9]*' "$log" | head -n 1 | cut -d' ' -f2 || true)
    [ -n "$port" ] && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$log"; exit 1; }
    sleep 0.1
  done
  echo "claimsd did not start"
  cat "$log"
  exit 1
}

stop_claimsd() {
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
