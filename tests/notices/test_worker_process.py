"""The real worker (`manage.py notices_worker`: django-tasks' database worker and
its ticker) in separate processes, as production runs it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.notices.servers import SmtpServer

ROOT = Path(__file__).resolve().parents[2]

SEED = """
import datetime as dt
from django.utils import timezone
from notices.models import Notice, Preference
from meetings.models import MeetingSeries, Meeting
from agenda.models import AgendaItem
series = MeetingSeries.objects.create(slug="s", title="S Call")
start = timezone.now() + dt.timedelta(days=3)
meeting = Meeting.objects.create(series=series, start=start)
item = AgendaItem.objects.create(meeting=meeting, title="Idea", proposer_name="Sam",
    proposer_email="sam@example.org", status="declined", decline_reason="Not now.")
Preference.objects.create(email="sam@example.org", confirmed_at=timezone.now())
Notice.objects.create(kind="proposal_declined", object_key=f"agendaitem:{item.pk}",
    occurrence="v2", address="sam@example.org", due_at=timezone.now(),
    context={"reason": "Not now."})
"""
STATUS = """
from notices.models import Notice
n = Notice.objects.get()
print(n.status, n.attempts)
"""


@pytest.fixture
def env(tmp_path):
    smtp = SmtpServer()
    smtp.start()
    environment = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "worker-test-" + "x" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "CACHE_URL": "locmem://",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp.port),
        "EMAIL_USE_TLS": "false",
        "EMAIL_TIMEOUT": "60",
        "SITE_URL": "https://calls.test",
        "NOTICES_TICK_SECONDS": "0.5",
        "NOTICES_LEASE_SECONDS": "3",
    }
    manage(environment, "migrate", "--noinput", "-v0")
    manage(environment, "shell", "-v0", "-c", SEED)
    yield environment, smtp
    smtp.stop()


def manage(environment, *args) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def worker(environment, log):
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "notices_worker",
            "--interval",
            "0.2",
            "--no-startup-delay",
            "--no-reload",
        ],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_the_worker_process_sends_a_due_notice_once(env, tmp_path):
    environment, smtp = env
    with (tmp_path / "worker.log").open("w") as log:
        process = worker(environment, log)
    try:
        assert wait_for(lambda: smtp.messages), (tmp_path / "worker.log").read_text()
        time.sleep(2)  # several more ticks
    finally:
        stop(process)
    assert len(smtp.messages) == 1
    assert smtp.messages[0]["Subject"] == "Declined: “Idea”"
    assert manage(environment, "shell", "-v0", "-c", STATUS).split() == ["sent", "1"]


def test_a_killed_workers_notice_is_sent_by_another_after_its_lease(env, tmp_path):
    environment, smtp = env
    smtp.inbox.stall.set()
    with (tmp_path / "a.log").open("w") as log:
        first = worker(environment, log)
    try:
        # Worker A has claimed the notice and is stuck talking to the server.
        assert smtp.inbox.stalled.wait(30), (tmp_path / "a.log").read_text()
    finally:
        first.kill()  # SIGKILL: no clean-up, the claim stays behind
        first.wait()
    assert manage(environment, "shell", "-v0", "-c", STATUS).split() == ["sending", "1"]
    smtp.inbox.stall.clear()
    with (tmp_path / "b.log").open("w") as log:
        second = worker(environment, log)
    try:
        assert wait_for(lambda: smtp.messages), (tmp_path / "b.log").read_text()
        time.sleep(2)
    finally:
        stop(second)
    assert len(smtp.messages) == 1
    assert manage(environment, "shell", "-v0", "-c", STATUS).split() == ["sent", "2"]
