# pagesieve service image: slim Python, non-root, gunicorn, the committed model, the PostgreSQL driver (set
# DATABASE_URL=postgresql://... at run time; SQLite under /app/var otherwise). Everything written goes under /app/var
# (the installed package's own var/ is not writable by the service user). No training or test extras.
FROM python:3.11-slim-bookworm

# DL3064 reads PAGESIEVE_REVIEW_SECRET_KEY_FILE as a secret: it is where the key is generated, not the key
# hadolint ignore=DL3064
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PAGESIEVE_SERVICE_HOST=0.0.0.0 \
    PAGESIEVE_SERVICE_PORT=8080 \
    PAGESIEVE_MODEL_DIR=/app/models \
    PAGESIEVE_STORAGE_SQLITE_PATH=/app/var/pagesieve.db \
    PAGESIEVE_STORAGE_SPOOL_DIR=/app/var/spool \
    PAGESIEVE_REVIEW_SECRET_KEY_FILE=/app/var/secret_key

WORKDIR /app
COPY pyproject.toml README.md ./
COPY service ./service
COPY models ./models
# DL3013 (pin versions) reads ".[postgres]" as a package: it is this project, whose pyproject.toml bounds each version
# hadolint ignore=DL3013
RUN pip install --no-cache-dir ".[postgres]" \
    && useradd --create-home --uid 10001 --user-group pagesieve \
    && mkdir -p /app/var \
    && chown -R pagesieve:pagesieve /app/var

USER 10001:10001
EXPOSE 8080
# /readyz on the configured port (PAGESIEVE_SERVICE_PORT), whatever it is set to at run time
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-m", "service", "healthcheck"]
# gunicorn stops gracefully on SIGTERM, letting requests finish for up to 30 s (graceful_timeout): give the container
# a longer stop grace period than Docker's default 10 s (docker run --stop-timeout 40; README, Deploying)
STOPSIGNAL SIGTERM
CMD ["python", "-m", "service", "serve"]
