"""Sending: claim due notices, compose each, send it by e-mail or webhook, settle.

`run_once` is one pass of the worker; the clock is passed in so tests can move it.
Exactly once: a notice is sent only by the worker holding its lease and is marked
sent right after the server accepted it. The one gap no outbox can close is a
crash between the server's "accepted" and that mark: the notice is then sent again
after its lease, with the same Message-ID, so mail systems can drop the copy.
"""

import datetime as dt
import json
import logging
import socket
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils import timezone
from django.utils.crypto import get_random_string

from notices import planner
from notices.compose import Message, NothingToSay, compose
from notices.models import Notice
from notices.services import (
    claim_due,
    mark_failed,
    mark_held,
    mark_sent,
    mark_skipped,
    send_verdict,
)

logger = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]


@dataclass
class RunResult:
    planned: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    held: int = 0


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{get_random_string(12)}"


def message_id(notice: Notice) -> str:
    domain = urlsplit(settings.SITE_URL).hostname or "callbook.invalid"
    return f"<callbook-notice-{notice.pk}@{domain}>"


def send_email(notice: Notice, message: Message) -> None:
    headers = {"Message-ID": message_id(notice), "X-Callbook-Notice": notice.kind}
    if message.unsubscribe_url:
        # RFC 8058: a mail client may POST "List-Unsubscribe=One-Click" to the URL.
        headers["List-Unsubscribe"] = f"<{message.unsubscribe_url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notice.address],
        headers=headers,
        connection=get_connection(fail_silently=False),
    )
    email.attach_alternative(message.html, "text/html")
    if message.ics:
        email.attach("call.ics", message.ics, "text/calendar; method=PUBLISH")
    email.send(fail_silently=False)


def send_webhook(notice: Notice, message: Message) -> None:
    body = json.dumps(message.webhook_payload()).encode()
    request = urllib.request.Request(
        notice.address,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "Callbook notices",
            "Idempotency-Key": message_id(notice).strip("<>"),
        },
    )
    with urllib.request.urlopen(
        request, timeout=settings.NOTICES_WEBHOOK_TIMEOUT
    ) as response:
        if not 200 <= response.status < 300:
            raise OSError(f"webhook answered {response.status}")


def deliver(notice: Notice, *, now: dt.datetime) -> str:
    """Send one claimed notice and record the outcome: "sent", "failed",
    "skipped" or "held" (until its address is confirmed)."""
    verdict, why = send_verdict(notice)
    if verdict == "skip":
        mark_skipped(notice=notice, reason=why)
        return "skipped"
    if verdict == "hold":
        mark_held(notice=notice, reason=why)
        return "held"
    try:
        message = compose(notice, now=now)
        if notice.channel == Notice.Channel.WEBHOOK:
            send_webhook(notice, message)
        else:
            send_email(notice, message)
    except NothingToSay as reason:
        mark_skipped(notice=notice, reason=str(reason))
        return "skipped"
    except Exception as error:
        # smtplib's, socket and HTTP errors are OSErrors; a bug in composing must
        # not leave the notice claimed either.
        logger.warning("Notice %s not sent: %s", notice.pk, error)
        mark_failed(notice=notice, now=now, error=f"{type(error).__name__}: {error}")
        return "failed"
    mark_sent(notice=notice, now=now, subject=message.subject)
    return "sent"


def run_once(
    *,
    clock: Clock = timezone.now,
    worker_id: str | None = None,
    plan: bool = True,
    batch_size: int = 20,
) -> RunResult:
    """One pass: enqueue the timed notices that came due, then send what is due."""
    worker_id = worker_id or new_worker_id()
    result = RunResult()
    if plan:
        result.planned = planner.plan_notices(now=clock())
    while batch := claim_due(now=clock(), worker_id=worker_id, limit=batch_size):
        for notice in batch:
            outcome = deliver(notice, now=clock())
            setattr(result, outcome, getattr(result, outcome) + 1)
    return result
