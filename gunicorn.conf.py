"""gunicorn settings for `make run` and the Docker image; values come from service.settings."""

from service.settings import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
# Threads give HTTP keep-alive (the sync worker closes every connection, which costs callers a
# TCP handshake per screening) and let a worker answer health checks during a long upload.
worker_class = "gthread"
threads = 4
keepalive = 5
# Load the lists once in the master and fork: workers share the index pages copy-on-write.
preload_app = True
timeout = 60
graceful_timeout = 30
# Several instances (tests, benchmarks, `make run`) share a machine; gunicorn's control socket
# has one fixed path per user, so it is left off.
control_socket_disable = True


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    """Each worker follows published list versions with a listener thread of its own (threads
    started in the master before the fork would not exist in the worker)."""
    state = worker.wsgi.extensions["vessel_screen"]
    state.start_listening()
    # The scheduled list refresh runs in one worker: the first to take a lock file in DATA_DIR
    # (its replacement takes it over if it exits). Not in the master: a thread there could hold
    # a lock at the moment gunicorn forks a worker, which would inherit it locked.
    if _settings.refresh_interval_minutes > 0:
        from service.refresh import RefreshScheduler

        RefreshScheduler(state, _settings.refresh_interval_minutes * 60).start()
