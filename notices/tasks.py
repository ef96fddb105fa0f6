"""The worker's one task: plan the timed notices and send what is due.

django-tasks' database backend queues it and its worker runs it
(`manage.py notices_worker`, which also enqueues it every NOTICES_TICK_SECONDS).
Running it twice at once is harmless: the outbox's claims keep sends single.
"""

from django_tasks import task
from django_tasks_db.models import DBTaskResult

from notices.delivery import run_once


@task()
def deliver_due() -> dict:
    result = run_once()
    return {
        "planned": result.planned,
        "sent": result.sent,
        "failed": result.failed,
        "skipped": result.skipped,
        "held": result.held,
    }


def wake_worker() -> bool:
    """Enqueue one `deliver_due` unless one is waiting to run already."""
    waiting = (
        DBTaskResult.objects.ready().filter(task_path=deliver_due.module_path).exists()
    )
    if waiting:
        return False
    deliver_due.enqueue()
    return True
