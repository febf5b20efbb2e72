# Vessel sanctions screening service: gunicorn on :8000, non-root, lists baked in.
# Mount your own list folder at /app/lists (or set LISTS_DIR) to serve the official files;
# /app/data keeps pushed port calls across restarts.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    WORKERS=2 \
    LISTS_DIR=/app/lists \
    PORTS_DIR=/app/ports \
    PORT_CALLS_DIR=/app/ports/calls \
    DATA_DIR=/app/data

WORKDIR /app
RUN useradd --create-home --uid 10001 screen
COPY pyproject.toml README.md gunicorn.conf.py ./
COPY service ./service
RUN pip install --no-cache-dir .
COPY lists ./lists
COPY ports ./ports
COPY ais ./ais
RUN mkdir -p /app/data && chown 10001 /app/data

USER 10001
EXPOSE 8000
VOLUME ["/app/lists", "/app/data"]
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "service:create_app()"]
