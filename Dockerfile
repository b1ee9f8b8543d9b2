# community-bot: `docker build -t community-bot .` then see compose.yaml.
# PYTHON_IMAGE: only for machines without Docker Hub (deploy/offline-images.sh builds a stand-in).
ARG PYTHON_IMAGE=python:3.11-slim
FROM ${PYTHON_IMAGE}

# Chinese labels in charts (menu results); tini reaps and forwards signals (clean stop on
# SIGTERM hands the lease to the standby at once).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei tini \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY storage ./storage
# psycopg (PostgreSQL) is a plain dependency: the same image serves SQLite and PostgreSQL.
RUN pip install --no-cache-dir .

# Never run as root; the database file (SQLite) and backups live in /data.
RUN useradd --create-home --uid 10001 bot && mkdir /data && chown bot:bot /data
USER bot
# Containers often share a hostname and run as pid 1: a restarted container must not take
# the lease from a live one on the same name, so standbys always wait for the lease to end.
ENV DATABASE_PATH=/data/community.db \
    STANDBY_SAME_MACHINE=0 \
    PYTHONUNBUFFERED=1 \
    MPLCONFIGDIR=/tmp/matplotlib
VOLUME ["/data"]

ENTRYPOINT ["tini", "--", "community-bot"]
CMD ["run"]
