import os

# The CLI shows its own progress; Prefect's console lines go to WARNING (the UI still gets every log).
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
# The machine may have no route to the internet; telemetry would only log errors.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Without a server, each command starts a temporary one; on a fresh machine it first migrates its own
# database, which takes longer than Prefect's default 20 s wait on a busy 2-core box.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

from flows.cli.main import app  # noqa: E402

__all__ = ["app"]
