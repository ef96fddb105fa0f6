"""Run the notices worker: django-tasks' database worker plus a ticker.

The ticker thread enqueues `deliver_due` every NOTICES_TICK_SECONDS unless one is
already waiting, so timed notices (digests, reminders) leave when they come due;
a decision's notice wakes the worker at once through the same task. Any number of
these processes may run, on any number of machines.
"""

import logging
import threading

from django.conf import settings
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from notices.tasks import wake_worker

logger = logging.getLogger(__name__)


class Ticker(threading.Thread):
    def __init__(self, interval: float):
        super().__init__(name="notices-ticker", daemon=True)
        self.interval = interval
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                wake_worker()
            except Exception:  # the database may be briefly away; try next tick
                logger.exception("Could not enqueue the notices tick")
            finally:
                close_old_connections()
            self.stopped.wait(self.interval)


class Command(DbWorkerCommand):
    help = (
        "Send reminders and notices: django-tasks' database worker, with a tick "
        "every NOTICES_TICK_SECONDS for the timed ones."
    )

    def handle(self, *args, **options):
        Ticker(settings.NOTICES_TICK_SECONDS).start()
        return super().handle(*args, **options)
