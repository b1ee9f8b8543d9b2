#!/bin/sh
# ONLY for machines that cannot reach Docker Hub (an air-gapped CI runner, a VM behind a
# firewall that lets only the Debian mirror and PyPI through). Everyone else: ignore this file,
# `docker compose up` pulls the official python:3.11-slim and postgres:16 images.
#
# Builds two local stand-ins from Debian bookworm packages (debootstrap, no registry):
#   community-bot-offline/python:3.11-slim  python3.11 + pip from Debian, used as the
#                                           Dockerfile's PYTHON_IMAGE
#   community-bot-offline/postgres:15       PostgreSQL 15 from Debian with an entrypoint that does
#                                           what the official image does for our compose file
#                                           (POSTGRES_USER/PASSWORD/DB, POSTGRES_INITDB_ARGS,
#                                           PGDATA, pg_isready), used as POSTGRES_IMAGE
# Then:
#   PYTHON_IMAGE=community-bot-offline/python:3.11-slim \
#   POSTGRES_IMAGE=community-bot-offline/postgres:15 docker compose up -d --build
# (Debian bookworm has PostgreSQL 15, not 16: the bot needs nothing newer.)
#
# Needs root, debootstrap, a running dockerd and the Debian mirror (MIRROR=...).
set -eu

MIRROR=${MIRROR:-http://deb.debian.org/debian}
PREFIX=${PREFIX:-community-bot-offline}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# 1. A minimal bookworm root file system, imported as the base of both stand-ins
# (kept from an earlier run unless REBUILD=1).
if [ "${REBUILD:-0}" = 1 ] || ! docker image inspect "$PREFIX/debian:bookworm" >/dev/null 2>&1; then
    debootstrap --variant=minbase bookworm "$WORK/rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
        || { tail -20 "$WORK/debootstrap.log"; exit 1; }
    rm -rf "$WORK"/rootfs/var/cache/apt/archives/*.deb "$WORK"/rootfs/var/lib/apt/lists/*
    tar -C "$WORK/rootfs" -c . | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'CMD ["bash"]' - "$PREFIX/debian:bookworm"
fi

# 2. Python: Debian's 3.11 behaves like the official image for our Dockerfile once `python`
# and `pip` exist and pip may install into the system (the official image has no
# EXTERNALLY-MANAGED marker either). Such machines often reach PyPI through a TLS-inspecting
# proxy: the host's own CA certificates (/usr/local/share/ca-certificates, public certificates
# only) are trusted in the image too, so `pip install` in the Dockerfile works as on the host.
mkdir -p "$WORK/python/ca"
cp /usr/local/share/ca-certificates/*.crt "$WORK/python/ca/" 2>/dev/null || true
cat >"$WORK/python/Dockerfile" <<EOF
FROM $PREFIX/debian:bookworm
COPY ca/ /usr/local/share/ca-certificates/
RUN apt-get update \\
    && apt-get install -y --no-install-recommends python3 python3-pip python3-venv ca-certificates \\
    && update-ca-certificates \\
    && rm -rf /var/lib/apt/lists/* /usr/lib/python3*/EXTERNALLY-MANAGED \\
    && ln -s /usr/bin/python3 /usr/local/bin/python \\
    && ln -s /usr/bin/pip3 /usr/local/bin/pip
ENV LANG=C.UTF-8
CMD ["python3"]
EOF
docker build -q -t "$PREFIX/python:3.11-slim" "$WORK/python"

# 3. PostgreSQL 15 with the official image's start-up contract (the parts compose.yaml uses).
mkdir "$WORK/postgres"
cat >"$WORK/postgres/entrypoint.sh" <<'EOF'
#!/bin/sh
# First start on an empty PGDATA: initdb with POSTGRES_USER as superuser and its password,
# create POSTGRES_DB, accept password logins from the network. Then run postgres as the
# postgres user (pid 1 via exec, so `docker stop` is a clean shutdown).
set -eu
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD must be set}"
POSTGRES_USER=${POSTGRES_USER:-postgres}
POSTGRES_DB=${POSTGRES_DB:-$POSTGRES_USER}
PGDATA=${PGDATA:-/var/lib/postgresql/data}
BIN=/usr/lib/postgresql/15/bin
mkdir -p "$PGDATA" /run/postgresql
chown -R postgres:postgres "$PGDATA" /run/postgresql
chmod 700 "$PGDATA"
as_pg() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }
if [ ! -s "$PGDATA/PG_VERSION" ]; then
    pwfile=$(mktemp) && printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile" && chown postgres "$pwfile"
    # shellcheck disable=SC2086  # POSTGRES_INITDB_ARGS is a list of words, as upstream
    as_pg "$BIN/initdb" -D "$PGDATA" -U "$POSTGRES_USER" --pwfile="$pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 ${POSTGRES_INITDB_ARGS:-}
    rm -f "$pwfile"
    echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -o "-c listen_addresses=''" -w start
    if [ "$POSTGRES_DB" != postgres ]; then
        as_pg "$BIN/createdb" -U "$POSTGRES_USER" "$POSTGRES_DB"
    fi
    as_pg "$BIN/pg_ctl" -D "$PGDATA" -m fast -w stop
fi
exec setpriv --reuid=postgres --regid=postgres --init-groups \
    "$BIN/postgres" -D "$PGDATA" -c listen_addresses='*' "$@"
EOF
cat >"$WORK/postgres/Dockerfile" <<EOF
FROM $PREFIX/debian:bookworm
# No default cluster from the package: the entrypoint makes one in PGDATA.
RUN mkdir -p /etc/postgresql-common \\
    && echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.conf \\
    && apt-get update \\
    && apt-get install -y --no-install-recommends postgresql-15 \\
    && rm -rf /var/lib/apt/lists/*
COPY entrypoint.sh /usr/local/bin/docker-entrypoint.sh
RUN chmod 755 /usr/local/bin/docker-entrypoint.sh
ENV PATH=/usr/lib/postgresql/15/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \\
    PGDATA=/var/lib/postgresql/data LANG=C.UTF-8
VOLUME ["/var/lib/postgresql/data"]
EXPOSE 5432
STOPSIGNAL SIGINT
ENTRYPOINT ["docker-entrypoint.sh"]
EOF
docker build -q -t "$PREFIX/postgres:15" "$WORK/postgres"

docker image ls "$PREFIX/*"
