"""Writes to the outbox and to people's choices, and the claim protocol.

The outbox itself is written by `Notice.objects.enqueue` (notices/models.py),
called inside the transaction of the decision it reports.
Delivery (notices/delivery.py) claims due rows with a lease, so several workers,
restarts and retries never send one twice.
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core import signing
from django.db import models, transaction
from django.utils import timezone
from django_tasks_db.utils import exclusive_transaction

from notices.models import Notice, Preference, _wake_worker

Kind = Notice.Kind
Status = Notice.Status
Topic = Preference.Topic

# Which choice of a person's preferences lets each kind through.
TOPIC_OF_KIND = {
    Kind.PROPOSAL_ACCEPTED: Topic.PROPOSALS,
    Kind.PROPOSAL_DECLINED: Topic.PROPOSALS,
    Kind.PROPOSAL_DEFERRED: Topic.PROPOSALS,
    Kind.NEXT_MC: Topic.MC,
    Kind.ACTION_ITEMS: Topic.ACTIONS,
    Kind.ACTION_DIGEST: Topic.ACTIONS,
}
ALL_TOPICS = "all"
UNSUBSCRIBE_SALT = "notices.unsubscribe"
MANAGE_SALT = "notices.manage"
CONFIRM_SALT = "notices.confirm"
# A confirmation link works this long; a new one goes out at most once a day.
CONFIRM_LINK_MAX_AGE = dt.timedelta(days=14)
MAX_BACKOFF = dt.timedelta(hours=6)


class NoticeError(Exception):
    """A notice action was refused."""


# People's choices ----------------------------------------------------------------


def preference_for(address: str) -> Preference | None:
    return Preference.objects.filter(email__iexact=(address or "").strip()).first()


def opt_in(
    *, email: str, topic: str, now: dt.datetime | None = None
) -> Preference | None:
    """Record that an address asked for one kind of notice (e.g. by leaving it on
    the proposal form), and ask it to confirm: nothing but the confirmation goes
    to an address before its link is opened. An address that unsubscribed stays
    unsubscribed: typing it into a public form again does not undo that."""
    email = (email or "").strip()
    if not email:
        return None
    preference = preference_for(email)
    if preference is None:
        preference = Preference(email=email, proposals=False, mc=False, actions=False)
        setattr(preference, topic, True)
        preference.save()
    if not preference.is_confirmed and preference.wants(topic):
        request_confirmation(preference=preference, now=now)
    return preference


def request_confirmation(
    *, preference: Preference, now: dt.datetime | None = None
) -> Notice | None:
    """Enqueue the e-mail with the address's confirmation link: at most one a day,
    so a public form cannot be used to flood an address."""
    now = now or timezone.now()
    return Notice.objects.enqueue(
        kind=Kind.CONFIRM_ADDRESS,
        about=preference,
        occurrence=now.astimezone(dt.UTC).date().isoformat(),
        address=preference.email,
        due_at=now,
    )


def confirm_address(*, email: str, now: dt.datetime | None = None) -> Preference | None:
    """The address is shown to be the person's: its notices may go out now,
    those held while it waited included."""
    now = now or timezone.now()
    with transaction.atomic():
        preference = (
            Preference.objects.select_for_update()
            .filter(email__iexact=(email or "").strip())
            .first()
        )
        if preference is None:
            return None
        if not preference.is_confirmed:
            preference.confirmed_at = now
            preference.save(update_fields=["confirmed_at", "updated_at"])
        address = preference.email.lower()
        # A confirmation still waiting to go out is not needed any more.
        Notice.objects.filter(
            kind=Kind.CONFIRM_ADDRESS, status=Status.PENDING, address=address
        ).update(status=Status.SKIPPED, last_error="The address is confirmed already.")
        released = Notice.objects.filter(status=Status.HELD, address=address).update(
            status=Status.PENDING, due_at=now, attempts=0, claimed_by=""
        )
        if released:
            transaction.on_commit(_wake_worker)
    return preference


def set_topics(*, preference: Preference, topics: Iterable[str]) -> Preference:
    """Which notices the address gets: exactly the topics named."""
    chosen = set(topics)
    for name in Topic.values:
        setattr(preference, name, name in chosen)
    preference.save()
    return preference


def choose_person_address(
    *,
    attendee,
    email: str,
    verified: bool,
    topics: Iterable[str],
    now: dt.datetime | None = None,
) -> Preference:
    """A signed-in person picks their notice address and topics.

    `verified` means GitHub verified the address for this person's account: it
    is confirmed at once. Any other address gets a confirmation link first. The
    person's earlier address, if another, is left behind (its row removed).
    """
    now = now or timezone.now()
    email = (email or "").strip()
    if not email:
        raise NoticeError("Give an address.")
    with transaction.atomic():
        current = (
            Preference.objects.select_for_update().filter(attendee=attendee).first()
        )
        target = (
            Preference.objects.select_for_update().filter(email__iexact=email).first()
        )
        if target is not None and target != current and not verified:
            # Someone else's choices may hang on it (a proposer who confirmed
            # it): only GitHub's word that it is this person's takes it over.
            raise NoticeError(
                "This address already has its own choices: use the link in an "
                "e-mail sent to it, verify it on GitHub and sign in again, or "
                "pick another address."
            )
        if target is not None and target.attendee_id not in (None, attendee.pk):
            # GitHub says the address is this person's: the other link was stale.
            Preference.objects.filter(pk=target.pk).update(attendee=None)
            target.attendee = None
        if target is not None and current is not None and target.pk != current.pk:
            current.delete()
            preference = target
        elif target is not None:
            preference = target
        elif current is not None:
            preference = current
            preference.email = email
            preference.confirmed_at = None
        else:
            preference = Preference(email=email)
        preference.attendee = attendee
        if verified and not preference.is_confirmed:
            preference.confirmed_at = now
        set_topics(preference=preference, topics=topics)
        if preference.is_confirmed:
            confirm_address(email=preference.email, now=now)
        else:
            request_confirmation(preference=preference, now=now)
    return preference


def send_verdict(notice: Notice) -> tuple[str, str]:
    """Whether a notice may go out now: ("send", ""), or ("hold" | "skip", why).

    The series' own list and webhook always; the confirmation e-mail only while
    its address waits for it; anything else only to an address that asked for
    the kind and confirmed it (held until then)."""
    if notice.is_list:
        return "send", ""
    preference = preference_for(notice.address)
    if notice.kind == Kind.CONFIRM_ADDRESS:
        if preference is None:
            return "skip", "The address's choices were removed."
        if preference.is_confirmed:
            return "skip", "The address is confirmed already."
        if not any(preference.wants(topic) for topic in Topic.values):
            return "skip", "The address asks for nothing any more."
        return "send", ""
    topic = TOPIC_OF_KIND.get(notice.kind)
    if not (topic and preference and preference.wants(topic)):
        return "skip", "The address has not asked for this."
    if not preference.is_confirmed:
        return "hold", "Waiting for the address to be confirmed."
    return "send", ""


def _sign(value: dict, salt: str) -> str:
    return signing.dumps(value, salt=salt)


def manage_token(*, email: str) -> str:
    """The signed part of the "manage your notices" link in every e-mail."""
    return _sign({"e": email.strip().lower()}, MANAGE_SALT)


def read_manage_token(token: str) -> str:
    try:
        return str(signing.loads(token, salt=MANAGE_SALT)["e"])
    except (signing.BadSignature, KeyError, TypeError):
        raise NoticeError("This link is not valid.") from None


def confirm_token(*, email: str) -> str:
    """The signed part of the confirmation link; expires after two weeks."""
    return _sign({"e": email.strip().lower()}, CONFIRM_SALT)


def read_confirm_token(token: str) -> str:
    try:
        data = signing.loads(
            token, salt=CONFIRM_SALT, max_age=CONFIRM_LINK_MAX_AGE.total_seconds()
        )
        return str(data["e"])
    except signing.SignatureExpired:
        raise NoticeError(
            "This confirmation link has expired: leave the address again to get "
            "a new one."
        ) from None
    except (signing.BadSignature, KeyError, TypeError):
        raise NoticeError("This link is not valid.") from None


def unsubscribe_token(*, email: str, topic: str) -> str:
    """The signed part of a one-click unsubscribe link (no sign-in needed)."""
    return signing.dumps(
        {"e": email.strip().lower(), "t": str(topic)}, salt=UNSUBSCRIBE_SALT
    )


def read_unsubscribe_token(token: str) -> tuple[str, str]:
    """(email, topic) of a token, or NoticeError when it was not made by us."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        email, topic = str(data["e"]), str(data["t"])
    except (signing.BadSignature, KeyError, TypeError):
        raise NoticeError("This unsubscribe link is not valid.") from None
    if topic != ALL_TOPICS and topic not in Topic.values:
        raise NoticeError("This unsubscribe link is not valid.")
    return email, topic


def unsubscribe(*, email: str, topic: str) -> Preference | None:
    """Stop one kind of notice (or all) for an address; harmless when repeated."""
    with transaction.atomic():
        preference = (
            Preference.objects.select_for_update().filter(email__iexact=email).first()
        )
        if preference is None:
            return None
        topics = Topic.values if topic == ALL_TOPICS else [topic]
        for name in topics:
            setattr(preference, name, False)
        preference.save()
    return preference


# Claiming and settling -------------------------------------------------------------


def claim_due(*, now: dt.datetime, worker_id: str, limit: int = 20) -> list[Notice]:
    """Take up to `limit` due notices for this worker, with a lease.

    On PostgreSQL the rows are picked with SELECT ... FOR UPDATE SKIP LOCKED, so
    workers never wait for each other; on every database the UPDATE re-checks that
    each row is still claimable, so two workers never both get one.
    """
    lease_until = now + dt.timedelta(seconds=settings.NOTICES_LEASE_SECONDS)
    # On SQLite (development), an exclusive transaction, so two local workers
    # queue for the write lock instead of failing to upgrade theirs.
    with exclusive_transaction(Notice.objects.db):
        candidates = list(
            Notice.objects.claimable(now)
            .select_for_update(skip_locked=True)
            .order_by("due_at", "pk")
            .values_list("pk", flat=True)[:limit]
        )
        if not candidates:
            return []
        Notice.objects.claimable(now).filter(pk__in=candidates).update(
            status=Status.SENDING,
            lease_until=lease_until,
            claimed_by=worker_id,
            attempts=models.F("attempts") + 1,
        )
    return list(
        Notice.objects.filter(
            pk__in=candidates,
            status=Status.SENDING,
            claimed_by=worker_id,
            lease_until=lease_until,
        ).order_by("due_at", "pk")
    )


def _settle(notice: Notice, **values) -> bool:
    """Write the outcome only while the claim is still ours."""
    return bool(
        Notice.objects.filter(
            pk=notice.pk,
            status=Status.SENDING,
            claimed_by=notice.claimed_by,
            lease_until=notice.lease_until,
        ).update(lease_until=None, **values)
    )


def mark_sent(*, notice: Notice, now: dt.datetime, subject: str = "") -> bool:
    return _settle(
        notice, status=Status.SENT, sent_at=now, last_error="", subject=subject[:300]
    )


def mark_skipped(*, notice: Notice, reason: str) -> bool:
    return _settle(notice, status=Status.SKIPPED, last_error=reason)


def mark_held(*, notice: Notice, reason: str) -> bool:
    """Kept, unsent, until its address is confirmed (`confirm_address`)."""
    return _settle(notice, status=Status.HELD, last_error=reason)


def retry_delay(attempts: int) -> dt.timedelta:
    """NOTICES_RETRY_SECONDS after the first failure, doubled each time, capped."""
    base = dt.timedelta(seconds=settings.NOTICES_RETRY_SECONDS)
    return min(base * 2 ** max(0, attempts - 1), MAX_BACKOFF)


def mark_failed(*, notice: Notice, now: dt.datetime, error: str) -> bool:
    """Give the notice back for a later try, or fail it after the last attempt."""
    if notice.attempts >= settings.NOTICES_MAX_ATTEMPTS:
        return _settle(notice, status=Status.FAILED, last_error=error[:2000])
    return _settle(
        notice,
        status=Status.PENDING,
        due_at=now + retry_delay(notice.attempts),
        last_error=error[:2000],
    )


def resend_notices(*, notices: Iterable[Notice], now: dt.datetime) -> int:
    """A Maintainer's resend: back to waiting, due now, with fresh attempts."""
    pks = [notice.pk for notice in notices]
    with transaction.atomic():
        count = (
            Notice.objects.filter(pk__in=pks)
            .exclude(status=Status.SENDING)
            .update(
                status=Status.PENDING,
                due_at=now,
                attempts=0,
                claimed_by="",
                lease_until=None,
            )
        )
        if count:
            transaction.on_commit(_wake_worker)
    return count
