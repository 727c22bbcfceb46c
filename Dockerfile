# thinktank-digest: `scraper serve` in a container.
#
#   docker build -t thinktank-digest .
#   docker run -p 8080:8080 -v "$PWD/config.toml:/app/config.toml:ro" -v ttd-data:/app/data \
#       thinktank-digest
#
# The configuration is read from /app/config.toml (SCRAPER_CONFIG); everything the service
# writes (SQLite database, feeds, outbox, unsubscribe key) goes to the /app/data volume, so keep
# `database_url`, `data_dir`, `feeds.output_dir` and `digest.outbox_dir` under data/ (the shipped
# config.toml does). Secrets come from the environment only (SMTP password, unsubscribe secret,
# PGPASSWORD). Stop with a grace period longer than serve.grace_seconds (`docker stop -t 30`).

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY scraper ./scraper
COPY feeds ./feeds
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    SCRAPER_CONFIG=/app/config.toml
RUN groupadd --system --gid 10001 scraper \
    && useradd --system --uid 10001 --gid scraper --home-dir /app --shell /usr/sbin/nologin scraper
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY --chown=scraper:scraper config.toml ./config.toml
RUN mkdir -p /app/data && chown scraper:scraper /app/data
USER 10001:10001
VOLUME ["/app/data"]
EXPOSE 8080
# 200 (ok, or degraded: a *site* is broken, a restart would not help) is healthy; 503
# (database unreachable, scheduler stopped) or no answer is not. No curl in the image.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4).status == 200 else 1)"]
CMD ["scraper", "serve", "--host", "0.0.0.0"]
