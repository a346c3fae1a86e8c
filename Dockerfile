# syntax=docker/dockerfile:1
#
# registration-bot in a container.
#
#   docker build -t registration-bot .
#   docker run -d --name registration-bot \
#       -v registration-bot-data:/data \
#       -v "$PWD/config:/config:ro" \
#       -e REGBOT_IMAP__PASSWORD_FILE=/config/imap-password \
#       registration-bot
#
# Configuration: a TOML file mounted at /config/registration-bot.toml (start
# from config/registration-bot.example.toml) and/or REGBOT_<SECTION>__<KEY>
# environment variables, which win over the file. The state and the workbook
# live in the /data volume: this image sets REGBOT_STATE__PATH and
# REGBOT_WORKBOOK__PATH to files in /data, and, being environment variables,
# they win over [state] path and [workbook] path in the file (override them
# with `-e` to move them). The config folder is mounted read-only.
# See compose.yaml for a complete example with secrets.

ARG PYTHON_IMAGE=python:3.12-slim

# ---- builder: the project and all its dependencies as wheels -------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md LICENSE ./
COPY registration_bot ./registration_bot
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

# ---- runtime: only the installed wheels, run as an unprivileged user -----
FROM ${PYTHON_IMAGE}

LABEL org.opencontainers.image.title="registration-bot" \
      org.opencontainers.image.description="Sign people up for an event when they simply send an email" \
      org.opencontainers.image.licenses="Apache-2.0"

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REGBOT_STATE__PATH=/data/registration-bot.sqlite3 \
    REGBOT_WORKBOOK__PATH=/data/attendees.xlsx

# A fixed uid/gid, so the owner of /data is the same in every build and a
# host folder can be chowned to it (chown 10001:10001 DIR).
RUN groupadd --system --gid 10001 regbot \
    && useradd --system --uid 10001 --gid regbot --home-dir /data --no-create-home \
       --shell /usr/sbin/nologin regbot \
    && mkdir -p /data /config \
    && chown regbot:regbot /data

# Install from the builder's wheels only (no index, no compiler); the wheels
# are bind-mounted, so they take no space in the image.
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-cache-dir --no-index --find-links=/wheels /wheels/registration_bot-*.whl \
    && registration-bot --version

USER 10001:10001
WORKDIR /data
VOLUME /data

# SIGTERM lets the bot finish the message it is on and exit 0; give it time.
STOPSIGNAL SIGTERM

# Unhealthy (status --check exits 1) when no cycle has succeeded within 3 x poll_seconds,
# sending is paused, or the workbook has not been written since a change.
HEALTHCHECK --interval=60s --timeout=20s --start-period=120s --retries=3 \
    CMD ["registration-bot", "status", "--check", "--config", "/config/registration-bot.toml"]

ENTRYPOINT ["registration-bot"]
CMD ["run", "--config", "/config/registration-bot.toml"]
