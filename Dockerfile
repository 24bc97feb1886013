# contestbot: the long-running bot (`contestbot run`) in a small image.
#
# Build and run with docker compose (docker-compose.yml: the bot plus PostgreSQL), or alone:
#   docker build -t contestbot .
#   docker run --env-file .env -v contestbot-data:/app/data \
#       -v "$PWD/config:/app/config:ro" contestbot
# Secrets come from the environment (--env-file .env) at run time: no .env is baked into the image
# (.dockerignore keeps it out of the build context). See docs/OPERATIONS.md.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# A fixed uid/gid so a bind-mounted data/ can be chowned to it on the host (chown 10001:10001).
RUN groupadd --system --gid 10001 contestbot \
    && useradd --system --uid 10001 --gid contestbot --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin contestbot

WORKDIR /app

# Runtime dependencies only: no [test] extra.
COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install . \
    && mkdir -p /app/data /app/config \
    && chown contestbot:contestbot /app/data

COPY --chown=contestbot:contestbot config ./config

USER contestbot

# The SQLite database (when DATABASE_URL is not PostgreSQL), the heartbeat and exports live here.
# Created and owned by the bot's user before the VOLUME line, so a new named volume starts with
# that ownership.
VOLUME ["/app/data"]

HEALTHCHECK --interval=60s --timeout=10s --start-period=120s --retries=3 \
    CMD ["contestbot", "health"]

# Exec form: the daemon is PID 1 and receives SIGTERM itself (it installs its own handler, so
# PID 1's default of ignoring signals does not apply); it finishes the current step, commits and
# exits 0 within seconds.
STOPSIGNAL SIGTERM
ENTRYPOINT ["contestbot"]
CMD ["run"]
