#!/usr/bin/env bash
# Start or stop the test services on loopback: `services.sh start DIR` prints env lines, `stop DIR`.
# Redis, PostgreSQL, an S3-compatible object store (moto's server, in memory), and a Docker engine with no networking of its own (bridge, NAT and iptables
# off; containers run with network "none") plus the step image the container tests use.
set -euo pipefail
action=$1 dir=$2

start_docker() {
  command -v dockerd >/dev/null || { echo "no dockerd: container tests will skip" >&2; return; }
  dockerd --bridge=none --iptables=false --ip-forward=false --ip-masq=false \
    --data-root "$dir/docker/data" --exec-root "$dir/docker/exec" --pidfile "$dir/docker/pid" \
    -H "unix://$dir/docker/sock" >"$dir/docker.log" 2>&1 &
  for _ in $(seq 100); do
    DOCKER_HOST="unix://$dir/docker/sock" docker version >/dev/null 2>&1 && break
    sleep 0.2
  done
  if ! DOCKER_HOST="unix://$dir/docker/sock" docker version >/dev/null 2>&1; then
    echo "the Docker engine did not start (see $dir/docker.log): container tests will skip" >&2
    return
  fi
  DOCKER_HOST="unix://$dir/docker/sock" .venv/bin/python scripts/step_image.py \
    --tag designer-step:test --extra tests/fixtures/step_image >/dev/null
  echo "DOCKER_HOST=unix://$dir/docker/sock"
  echo "DESIGNER_TEST_IMAGE=designer-step:test"
}

stop_docker() {
  [ -f "$dir/docker/pid" ] || return 0
  local pid
  pid=$(cat "$dir/docker/pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}
start_s3() {
  .venv/bin/moto_server -H 127.0.0.1 -p "$s3_port" >"$dir/s3.log" 2>&1 &
  echo $! >"$dir/s3.pid"
  local bucket="http://127.0.0.1:$s3_port/designer-test"
  for _ in $(seq 100); do
    if .venv/bin/python -c "import urllib.request as u; u.urlopen(u.Request('$bucket', method='PUT'), timeout=2)" 2>/dev/null; then
      echo "TEST_S3_ENDPOINT=http://127.0.0.1:$s3_port"
      return
    fi
    sleep 0.1
  done
  echo "the S3 server did not start (see $dir/s3.log)" >&2
  exit 1
}

redis_port=${TEST_REDIS_PORT:-6391} pg_port=${TEST_PG_PORT:-5441} s3_port=${TEST_S3_PORT:-9001}
pg_bin=/usr/lib/postgresql/15/bin
case "$action" in
start)
  mkdir -p "$dir" && chmod 755 "$dir"
  redis-server --port "$redis_port" --bind 127.0.0.1 --daemonize yes --save '' --appendonly no \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  mkdir -p "$dir/pg" "$dir/pgsock" && chown postgres "$dir/pg" "$dir/pgsock"
  su postgres -s /bin/sh -c "$pg_bin/initdb -D $dir/pg/data -U postgres --auth=trust -E UTF8" >"$dir/initdb.log"
  su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $dir/pg/data -l $dir/pg/log -w -o '-p $pg_port -k $dir/pgsock -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200' start" >/dev/null
  for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  redis-cli -p "$redis_port" ping >/dev/null 2>&1 || { echo "Redis did not start (see $dir/redis.log)" >&2; exit 1; }
  echo "TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
  echo "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/designer"
  start_s3
  mkdir -p "$dir/docker"
  start_docker
  ;;
stop)
  stop_docker
  [ -f "$dir/s3.pid" ] && kill "$(cat "$dir/s3.pid")" 2>/dev/null || true
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  [ -d "$dir/pg/data" ] && su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $dir/pg/data -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
esac
