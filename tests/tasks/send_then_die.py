"""Deliver the stored alerts from a process the test kills (SIGKILL) while a send is in flight."""

from infra.db.engine import app_engine
from infra.notifications import Notifier
from tasks.portfolio import deliver

if __name__ == "__main__":
    deliver(app_engine(), Notifier.from_settings())
    print("DELIVERED", flush=True)  # never reached when the receiver hangs and the test kills us
