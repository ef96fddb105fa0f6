"""Several workers at once on PostgreSQL: each notice is sent by exactly one."""

import threading

import pytest
from django.db import connection, connections

from notices.delivery import run_once
from notices.models import Notice, Preference
from tests.factories import AgendaItemFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOTICES = 30


def needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED races are tested on PostgreSQL (make test-postgres)")


def test_two_racing_workers_send_each_notice_once(mail_settings, smtp, clock):
    needs_postgres()
    for n in range(NOTICES):
        item = AgendaItemFactory(proposer_email=f"p{n}@example.org")
        Preference.objects.create(email=item.proposer_email, confirmed_at=clock.now)
        Notice.objects.enqueue(
            kind=Notice.Kind.PROPOSAL_DECLINED,
            about=item,
            occurrence="v1",
            address=item.proposer_email,
            due_at=clock.now,
            context={"reason": "No room."},
        )
    start = threading.Barrier(2)
    results = {}

    def work(name):
        try:
            start.wait()
            results[name] = run_once(
                clock=clock, worker_id=name, plan=False, batch_size=1
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(r.sent for r in results.values()) == NOTICES
    assert all(r.sent > 0 for r in results.values()), results  # both took part
    recipients = sorted(m["To"] for m in smtp.messages)
    assert recipients == sorted(f"p{n}@example.org" for n in range(NOTICES))
    assert Notice.objects.sent().count() == NOTICES
    assert set(Notice.objects.values_list("claimed_by", flat=True)) == {"w0", "w1"}
