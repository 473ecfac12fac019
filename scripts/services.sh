#!/usr/bin/env bash
# Start or stop the test services on loopback: `services.sh start DIR` prints env lines, `stop DIR`.
set -euo pipefail
action=$1 dir=$2
redis_port=${TEST_REDIS_PORT:-6391} pg_port=${TEST_PG_PORT:-5441}
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
  echo "TEST_REDIS_URL=redis://127.0.0.1:$redis_port/0"
  echo "TEST_DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/designer"
  ;;
stop)
  [ -f "$dir/redis.pid" ] && kill "$(cat "$dir/redis.pid")" 2>/dev/null || true
  [ -d "$dir/pg/data" ] && su postgres -s /bin/sh -c "$pg_bin/pg_ctl -D $dir/pg/data -m fast stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
  ;;
esac
