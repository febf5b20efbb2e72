"""gunicorn settings for `make run` and the Docker image; values come from service.settings."""

from service.settings import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
# Load the lists once in the master and fork: workers share the index pages copy-on-write.
preload_app = True
accesslog = "-"
timeout = 60
graceful_timeout = 30
