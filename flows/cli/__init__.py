import os

# The CLI shows its own progress; Prefect's console lines go to WARNING (the UI still gets every log).
os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "WARNING")
# The machine may have no route to the internet; telemetry would only log errors.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from flows.cli.main import app  # noqa: E402

__all__ = ["app"]
