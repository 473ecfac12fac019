#!/usr/bin/env bash
# The distributed layout on one machine, with the settings a multi-host deployment uses
# (docs/deploy.md): PostgreSQL, Redis (append-only file), two Daphne processes, two Celery
# workers, the endpoint scheduler, and nginx on 127.0.0.1 in front of the two Daphnes.
# Everything lives under var/distributed/ and stops on Ctrl-C. Ports: PORT (the proxy, 8000),
# DAPHNE_PORTS ("8001 8002"), PG_PORT (55432), REDIS_PORT (56379).
# DESIGNER_ARTIFACT_STORE=s3://bucket/prefix (with AWS_* set) puts artifacts in an object store.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
command -v nginx >/dev/null || {
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx-light >/dev/null
}
bash scripts/setup.sh
bash scripts/frontend.sh
export PATH="$PWD/.venv/bin:$PATH"

PORT=${PORT:-8000} PG_PORT=${PG_PORT:-55432} REDIS_PORT=${REDIS_PORT:-56379}
read -r -a daphne_ports <<<"${DAPHNE_PORTS:-8001 8002}"
home="$PWD/var/distributed"
mkdir -p "$home/logs" "$home/redis" "$home/pgsock" "$home/nginx"
chmod 755 "$home" "$PWD/var"
pids=()

stop_all() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
  su postgres -s /bin/sh -c "/usr/lib/postgresql/15/bin/pg_ctl -D $home/pg -m fast stop" \
    >/dev/null 2>&1 || true
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# The one secret every server and worker shares (a multi-host deployment sets it on each host).
[ -s "$home/secret-key" ] || (umask 077 && python3 -c \
  "import secrets; print(secrets.token_urlsafe(50))" >"$home/secret-key")

# PostgreSQL: the database every host shares.
pg=/usr/lib/postgresql/15/bin
if [ ! -f "$home/pg/PG_VERSION" ]; then
  mkdir -p "$home/pg" && chown postgres "$home/pg" "$home/pgsock"
  su postgres -s /bin/sh -c "$pg/initdb -D $home/pg -U postgres --auth=trust -E UTF8" >/dev/null
fi
touch "$home/logs/postgres.log"
chown postgres "$home/pgsock" "$home/logs/postgres.log"
su postgres -s /bin/sh -c "$pg/pg_ctl -D $home/pg -l $home/logs/postgres.log -w -o \
  '-p $PG_PORT -k $home/pgsock -c listen_addresses=127.0.0.1' start" >/dev/null
psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='designer'" |
  grep -q 1 || psql -h 127.0.0.1 -p "$PG_PORT" -U postgres -qc "CREATE DATABASE designer"

# Redis: broker and channel layer; the append-only file keeps queued tasks across a restart.
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$home/redis" --appendonly yes \
  --daemonize yes --pidfile "$home/redis.pid" --logfile "$home/logs/redis.log"
for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done

origins=$(printf 'http://127.0.0.1:%s,http://localhost:%s' "$PORT" "$PORT")
export DEBUG=0 SECRET_KEY="$(cat "$home/secret-key")" SECURE_COOKIES=0 \
  ALLOWED_HOSTS=127.0.0.1,localhost CSRF_TRUSTED_ORIGINS="$origins" \
  DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/designer" \
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0" DESIGNER_RUNNER=celery \
  DESIGNER_SCHEDULER=external DESIGNER_SCORING_PROCESS=external DESIGNER_DATA_DIR="$home/data"
mkdir -p "$DESIGNER_DATA_DIR"
python manage.py migrate --noinput -v0
python manage.py collectstatic --noinput -v0
python manage.py load_examples

start() {  # start NAME COMMAND...: in the background, logging to logs/NAME.log
  local name=$1
  shift
  "$@" >"$home/logs/$name.log" 2>&1 &
  pids+=($!)
}
for n in 1 2; do
  start "worker$n" celery -A designer.celery worker -n "worker$n@%h" -c 2 --loglevel INFO
done
start scheduler python manage.py run_scheduler
# One scoring process for the real-time endpoints (each Daphne would otherwise start its own).
start scoring python -m designer.serving serve --store "$DESIGNER_DATA_DIR/artifacts" \
  --bundles "$DESIGNER_DATA_DIR/scoring" --workers 2
upstreams=""
for port in "${daphne_ports[@]}"; do
  start "daphne-$port" daphne -b 127.0.0.1 -p "$port" designer.asgi:application
  upstreams+="    server 127.0.0.1:$port;"$'\n'
done

# nginx on loopback: one address for the browser, requests and sockets spread over the Daphnes.
cat >"$home/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $home/nginx/nginx.pid;
error_log $home/logs/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log $home/logs/nginx-access.log;
  client_body_temp_path $home/nginx/body;
  proxy_temp_path $home/nginx/proxy;
  fastcgi_temp_path $home/nginx/fastcgi;
  uwsgi_temp_path $home/nginx/uwsgi;
  scgi_temp_path $home/nginx/scgi;
  client_max_body_size 200m;
  upstream designer {
$upstreams  }
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:$PORT;
    location / {
      proxy_pass http://designer;
      proxy_http_version 1.1;
      proxy_set_header Host \$http_host;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto \$scheme;
      proxy_read_timeout 1h;
    }
  }
}
CONF
start nginx nginx -p "$home/nginx" -c "$home/nginx.conf"

for _ in $(seq 300); do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/accounts/login/', timeout=1)" \
    2>/dev/null && break
  sleep 0.2
done
echo "Serving on http://127.0.0.1:$PORT/ (sign in as demo / demo-designer): nginx in front of"
echo "Daphne on ${daphne_ports[*]}, 2 Celery workers, the scheduler, the scoring process on :8100,"
echo "PostgreSQL :$PG_PORT, Redis"
echo ":$REDIS_PORT. Logs: $home/logs/. Ctrl-C stops everything."
wait -n "${pids[@]}" || true
echo "a process stopped (see $home/logs/): stopping the rest" >&2
