#!/usr/bin/env bash
# CI, second pass: the whole test suite again on PostgreSQL (issue #19).
# Starts a throw-away server from the distribution's package on a temporary directory and a
# free port on 127.0.0.1, as a non-root user, runs `python -m pytest -q` with
# TEST_DATABASE_URL pointing at it, and stops it at the end whatever happens.
# Run from the repository root with the project's virtual environment active.
set -euo pipefail

find_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
    if [ -x "$dir/$name" ]; then echo "$dir/$name"; return; fi
  done
}

if [ -z "$(find_bin initdb)" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)
if [ -z "$INITDB" ] || [ -z "$PG_CTL" ]; then
  echo "postgres.sh: no PostgreSQL server binaries (initdb, pg_ctl); install the postgresql package" >&2
  exit 1
fi

# PostgreSQL refuses to run as root: use the package's `postgres` user (or create one).
as_user=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  as_user=(runuser -u postgres --)
fi

dir=$(mktemp -d /tmp/community-bot-pg.XXXXXX)
chmod 755 "$dir"
[ "$(id -u)" = 0 ] && chown postgres "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

stop() {
  "${as_user[@]}" "$PG_CTL" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

"${as_user[@]}" "$INITDB" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C --no-sync >/dev/null
# Durability is not under test here: no fsync makes the many small schemas fast.
"${as_user[@]}" "$PG_CTL" -D "$dir/data" -l "$dir/server.log" -w -o \
  "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >/dev/null

export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/postgres"
echo "postgres.sh: PostgreSQL on 127.0.0.1:$port; running the test suite on it"
python -m pytest -q "$@"
