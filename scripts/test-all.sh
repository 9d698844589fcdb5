#!/usr/bin/env bash
# The whole test suite, as CI and a newcomer run it: type-check, then every test against a private
# InfluxDB 1.x (started here unless CITYSENSE_TEST_INFLUX_URL points at one) and a real SQLite file.
set -euo pipefail
cd "$(dirname "$0")/.."

need() { command -v "$1" >/dev/null 2>&1; }
# PostgreSQL's initdb is off the PATH on Debian (/usr/lib/postgresql/15/bin, where tests/fixtures/postgres.ts looks too).
need_pg() { need initdb || [ -x /usr/lib/postgresql/15/bin/initdb ]; }
if ! need influxd || ! need mosquitto_pub || ! need victoria-metrics || ! need chromium || ! need nats-server || ! need_pg; then
  if [ "$(id -u)" = 0 ] && need apt-get; then
    echo "test:all: installing influxdb, mosquitto-clients, victoria-metrics, chromium, nats-server and postgresql (Debian packages)"
    (apt-get install -y -qq influxdb mosquitto-clients victoria-metrics chromium nats-server postgresql >/dev/null 2>&1) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq influxdb mosquitto-clients victoria-metrics chromium nats-server postgresql >/dev/null; }
  else
    echo "test:all: needs influxd (Debian package influxdb), mosquitto_pub (mosquitto-clients), victoria-metrics (its v2 write endpoint tests the InfluxDB 2.x write path), chromium (console tests) nats-server (the event stream's tests, JetStream) and postgresql (15: the PostgreSQL stores' tests); install them, e.g. sudo apt-get install -y influxdb mosquitto-clients victoria-metrics chromium nats-server postgresql" >&2
    exit 1
  fi
fi

[ -d dist ] || true
npx tsc --noEmit -p tsconfig.json
npm run lint --silent
npm run build --silent

if [ -z "${CITYSENSE_TEST_INFLUX_URL:-}" ]; then
  dir=$(mktemp -d -t citysense-influx-XXXXXX)
  port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
  http_port=$(port); rpc_port=$(port)
  cat > "$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc_port"
[meta]
  dir = "$dir/meta"
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:$http_port"
  log-enabled = false
[monitor]
  store-enabled = false
[logging]
  level = "warn"
CONF
  influxd -config "$dir/influxdb.conf" >"$dir/influxd.log" 2>&1 &
  influx_pid=$!
  trap 'kill $influx_pid 2>/dev/null; wait $influx_pid 2>/dev/null; rm -rf "$dir"' EXIT
  export CITYSENSE_TEST_INFLUX_URL="http://127.0.0.1:$http_port"
  for _ in $(seq 1 100); do
    node -e "fetch(process.argv[1]+'/ping').then(r=>process.exit(r.status===204?0:1),()=>process.exit(1))" "$CITYSENSE_TEST_INFLUX_URL" && break
    sleep 0.2
  done
  node -e "fetch(process.argv[1]+'/ping').then(r=>process.exit(r.status===204?0:1),()=>process.exit(1))" "$CITYSENSE_TEST_INFLUX_URL" || { echo "test:all: influxd did not start:"; cat "$dir/influxd.log"; exit 1; }
  echo "test:all: private InfluxDB $(influxd version | head -1) at $CITYSENSE_TEST_INFLUX_URL"
fi

node --disable-warning=ExperimentalWarning --experimental-vm-modules node_modules/jest/bin/jest.js "$@"
