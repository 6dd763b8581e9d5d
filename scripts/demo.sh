#!/usr/bin/env bash
# Run the demo console: migrate, load the bundled demo, then the web server, a
# Celery worker and beat, until Ctrl-C stops all three. `make demo` calls this
# after it has made the virtual environment.
#
# Embedded defaults: SQLite in ./var and kombu's filesystem broker (no daemon).
# DATABASE_URL and FWCONSOLE_BROKER_URL switch to PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
venv=.venv/bin
data_dir=${FWCONSOLE_DATA_DIR:-$PWD/var}
log_dir=$data_dir/log
mkdir -p "$log_dir"

if ! "$venv/python" - "$HOST" "$PORT" <<'EOF'; then
import socket, sys
with socket.socket() as probe:
    sys.exit(probe.connect_ex((sys.argv[1], int(sys.argv[2]))) == 0)
EOF
  echo "Port $PORT on $HOST is already in use; choose another: make demo PORT=8001" >&2
  exit 1
fi

# A database that does not answer is named with what to do, not a traceback;
# on a fresh PostgreSQL server the database itself is the usual thing missing.
if ! "$venv/python" - <<'EOF'; then
import os
import sys

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fwconsole.settings")
django.setup()
from django.db import connection

try:
    connection.ensure_connection()
except Exception as error:
    print(f"The database does not answer: {error}".strip(), file=sys.stderr)
    db = connection.settings_dict
    if connection.vendor == "postgresql" and "does not exist" in str(error):
        print(
            "Create it once, then run the demo again: createdb"
            f" -h {db['HOST'] or 'localhost'} -p {db['PORT'] or 5432}"
            f" -U {db['USER'] or 'postgres'} {db['NAME']}",
            file=sys.stderr,
        )
    sys.exit(1)
EOF
  exit 1
fi

# The demo never runs with DEBUG, so the web server serves collected files.
"$venv/python" manage.py migrate --noinput
"$venv/python" manage.py collectstatic --noinput --verbosity 0
demo_output=$("$venv/python" manage.py load_demo)
echo "$demo_output"

pids=()
stop() {
  trap - INT TERM EXIT
  echo
  echo "Stopping the web server, the worker and beat..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "Stopped."
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

"$venv/gunicorn" fwconsole.wsgi:application --bind "$HOST:$PORT" --workers 2 \
  --timeout 120 --access-logfile "$log_dir/web-access.log" >"$log_dir/web.log" 2>&1 &
pids+=($!)
"$venv/celery" -A fwconsole worker --loglevel INFO --concurrency 2 \
  --hostname "demo@%h" >"$log_dir/worker.log" 2>&1 &
pids+=($!)
"$venv/celery" -A fwconsole beat --loglevel INFO \
  --schedule "$data_dir/celerybeat-schedule" >"$log_dir/beat.log" 2>&1 &
pids+=($!)

url="http://$HOST:$PORT/"
answers() {
  "$venv/python" -c "import urllib.request, sys; urllib.request.urlopen(sys.argv[1], timeout=5)" "$1" 2>/dev/null
}
# Ready means the health endpoint passes: database, broker and a worker that
# answers its ping.
ready=
for _ in $(seq 1 90); do
  if answers "${url}health/?format=json"; then
    ready=1
    break
  fi
  sleep 1
done
if [ -z "$ready" ]; then
  if ! answers "${url}accounts/login/"; then
    echo "The web server did not answer on $url; see $log_dir/web.log" >&2
    exit 1
  fi
  echo "The console answers, but its health check still fails; see ${url}health/" >&2
fi

cat <<EOF

fwconsole demo is running: $url
$(grep -i '^ *sign in' <<<"$demo_output")
  health (database, broker, worker): ${url}health/
  logs: $log_dir/{web,worker,beat}.log
Press Ctrl-C to stop.
EOF

# Stop everything as soon as one of the three exits, and say which.
while :; do
  for index in "${!pids[@]}"; do
    if ! kill -0 "${pids[$index]}" 2>/dev/null; then
      name=(web worker beat)
      echo "The ${name[$index]} process stopped; last lines of its log:" >&2
      tail -n 20 "$log_dir/${name[$index]}.log" >&2
      exit 1
    fi
  done
  sleep 1
done
