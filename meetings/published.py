"""A finalized call's notes, rendered once and stored until a write changes them.

A finalized call's page body depends only on the call, its rows (attendance,
agenda, action items, release teams), the people and series they name, and the
code that renders it, not on the clock or the visitor. So the call page renders
it once, stores it in `PublishedPage`, and serves it from one query until:

- a write touches one of those rows: `PublicModel` and `PublicQuerySet` announce
  every write (`public_rows_written`) and the receivers below delete the stored
  page of each call concerned, both at once and after the transaction commits
  (inside `forget_once()`, e.g. one file of an import: once at its end, and once
  after the transaction commits);
- the code changes: `code_version()` hashes the templates and apps, so a deploy
  renders each page again on its first view.

A render may run while a write commits. Its reader claims the row (a random
token) before it reads the call, and stores only if the row still holds that
token; a write deletes the row after it commits, so a render of data older than
the write never lands.
"""

import datetime as dt
import hashlib
import importlib.metadata
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import m2m_changed
from django.utils import timezone

from meetings.models import (
    Attendance,
    Meeting,
    MeetingSeries,
    PublishedPage,
    ReleaseTeam,
)
from pagecache.models import public_rows_written
from people.models import Attendee

# What a stored page is rendered by: the project's templates and the apps whose
# code shapes the page, and the libraries that render and sanitize markdown.
CODE = ("templates/**/*.html", "meetings/**/*.py", "agenda/**/*.py", "people/**/*.py")
LIBRARIES = ("django", "markdown-it-py", "mdit-py-plugins", "nh3")


@cache
def code_version() -> str:
    digest = hashlib.sha256()
    root = Path(settings.BASE_DIR)
    for path in sorted(p for pattern in CODE for p in root.glob(pattern)):
        if "migrations" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(path.read_bytes())
    for name in LIBRARIES:
        try:
            digest.update(f"{name}=={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            digest.update(name.encode())
    return digest.hexdigest()


def forget(meeting_ids) -> None:
    """Delete the stored pages of these calls now and once the write commits
    (inside `forget_once()`: when it ends)."""
    ids = {pk for pk in meeting_ids if pk is not None}
    if not ids:
        return
    pending = getattr(_batch, "ids", None)
    if pending is not None:
        pending |= ids
        return
    _delete(ids)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _delete(ids))


def _delete(ids: set) -> None:
    # One plain DELETE: nothing hangs off these rows, no signals to send.
    rows = PublishedPage.objects.filter(meeting_id__in=ids)
    rows._raw_delete(rows.db)


_batch = threading.local()


@contextmanager
def forget_once() -> Iterator[None]:
    """Collect the calls that the writes inside concern and delete their stored
    pages once, at the end, and once more after the transaction commits, instead
    of twice a write: a file of an import makes hundreds of writes.

    Only inside a transaction (outside one, every write forgets at once as
    usual): nobody outside it sees its writes before it commits, and the delete
    on commit still beats any render that read data older than the writes."""
    if getattr(_batch, "ids", None) is not None or not connection.in_atomic_block:
        yield  # an outer batch forgets, or there is no transaction to wait for
        return
    _batch.ids = set()
    try:
        yield
    except BaseException:
        ids, _batch.ids = _batch.ids, None
        # The transaction may not take a query now; should it commit anyway (the
        # error caught further out), the writes that did land are forgotten then.
        if ids:
            transaction.on_commit(lambda: _delete(ids))
        raise
    ids, _batch.ids = _batch.ids, None
    if ids:
        _delete(ids)
        transaction.on_commit(lambda: _delete(ids))


def claim(meeting: Meeting) -> str | None:
    """A token for storing this call's page, claimed before its data is read;
    None when another reader holds the row (this render is served, not stored)."""
    token = secrets.token_hex(16)
    table = connection.ops.quote_name(PublishedPage._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (meeting_id, token, version, description, body) "
            f"VALUES (%s, %s, '', '', '') ON CONFLICT (meeting_id) DO NOTHING "
            f"RETURNING meeting_id",
            [meeting.pk, token],
        )
        return token if cursor.fetchone() else None


def store(meeting: Meeting, token: str, *, description: str, body: str) -> bool:
    """Keep a render unless a write deleted the claimed row since."""
    return bool(
        PublishedPage.objects.filter(meeting_id=meeting.pk, token=token).update(
            version=code_version(),
            description=description,
            body=body,
            rendered_at=timezone.now(),
        )
    )


def current(page: PublishedPage | None) -> PublishedPage | None:
    """`page` if it holds notes rendered by this code."""
    # The version first: a page loaded without its body (publish_notes) is not
    # read again for one it would not serve.
    if page is not None and page.version == code_version() and page.body:
        return page
    return None


def load(series: str, date_key: str) -> Meeting | None:
    """The call a URL names, with what a stored page needs (its head tags, its
    stored row as `.stored`, the calls around it), in one plain SQL query: the
    ORM spends ~3 ms compiling the equivalent queryset, more than the rest of a
    stored page's view."""
    try:
        day, ordinal = Meeting.parse_date_key(date_key)
    except ValueError:
        return None
    meetings = Meeting._meta.db_table
    series_table = MeetingSeries._meta.db_table
    pages = PublishedPage._meta.db_table

    def side(column: str, compare: str, order: str) -> str:
        return (
            f"(SELECT o.{column} FROM {meetings} o WHERE o.series_id = m.series_id "
            f"AND (o.start, o.ordinal) {compare} (m.start, m.ordinal) "
            f"ORDER BY o.start {order}, o.ordinal {order} LIMIT 1)"
        )

    rows = Meeting.objects.raw(
        f"SELECT m.id, m.series_id, m.title, m.date, m.ordinal, m.start, m.status, "
        f"s.slug AS series_slug, s.title AS series_title, "
        f"p.token AS page_token, p.version AS page_version, "
        f"p.description AS page_description, p.body AS page_body, "
        f"{side('date', '<', 'DESC')} AS previous_date, "
        f"{side('ordinal', '<', 'DESC')} AS previous_ordinal, "
        f"{side('date', '>', 'ASC')} AS next_date, "
        f"{side('ordinal', '>', 'ASC')} AS next_ordinal "
        f"FROM {meetings} m JOIN {series_table} s ON s.id = m.series_id "
        f"LEFT JOIN {pages} p ON p.meeting_id = m.id "
        f"WHERE s.slug = %s AND m.date = %s AND m.ordinal = %s",
        [series, day, ordinal],
    )
    meeting = next(iter(rows), None)
    if meeting is None:
        return None
    meeting.series = MeetingSeries(
        pk=meeting.series_id, slug=meeting.series_slug, title=meeting.series_title
    )
    meeting.stored = None
    if meeting.page_token is not None:
        meeting.stored = PublishedPage(
            meeting_id=meeting.pk,
            token=meeting.page_token,
            version=meeting.page_version,
            description=meeting.page_description,
            body=meeting.page_body,
        )
    for side_name in ("previous", "next"):
        day = getattr(meeting, f"{side_name}_date")
        if isinstance(day, str):  # SQLite returns a subquery's date as text
            setattr(meeting, f"{side_name}_date", dt.date.fromisoformat(day))
    return meeting


def is_publishable(meeting: Meeting, now) -> bool:
    """Whether the call's page no longer depends on the clock or the visitor."""
    return (
        settings.PUBLISHED_PAGES and meeting.is_finalized and meeting.has_started(now)
    )


# What each write concerns ---------------------------------------------------


# Where a call's page names a person.
PERSON_PATHS = (
    "mc",
    "next_mc",
    "attendances__attendee",
    "agenda_items__presenters",
    "action_items__owners",
    "release_teams__lead",
    "release_teams__members",
)


def calls_naming(people: set) -> set:
    """The calls whose page shows one of these people (one UNION query; an OR of
    joins over these many-valued relations would multiply their rows)."""
    each = [
        Meeting.objects.filter(**{f"{path}__in": people})
        .order_by()
        .values_list("pk", flat=True)
        for path in PERSON_PATHS
    ]
    return set(each[0].union(*each[1:]))


def meeting_ids(
    model, instances, pks, created: bool = False, before: bool = False
) -> set:
    if created and model in (Meeting, MeetingSeries, Attendee):
        # Rows just inserted: no call names them yet and none has a stored page
        # (a new person's calls are forgotten as their rows link them).
        return set()
    if before and model in (Meeting, MeetingSeries, Attendee):
        # An update of these rows cannot change which calls they concern (the
        # links live in the calls' rows): the announcement after it finds the
        # same calls, so a person's UNION runs once, not twice.
        return set()
    if model is Meeting:
        return {row.pk for row in instances} | set(pks)
    if model is MeetingSeries:
        series = {row.pk for row in instances} | set(pks)
        return set(
            Meeting.objects.filter(series__in=series).values_list("pk", flat=True)
        )
    if model is Attendee:
        return calls_naming({row.pk for row in instances} | set(pks))
    # A row of a call: where it is, and where it was loaded from.
    ids = {row.meeting_id for row in instances}
    ids |= {getattr(row, "loaded_meeting_id", None) for row in instances}
    if pks:
        ids |= set(
            model._base_manager.filter(pk__in=pks).values_list("meeting_id", flat=True)
        )
    return ids


def rows_written(
    sender, instances=(), pks=(), created=False, before=False, **kwargs
) -> None:
    forget(meeting_ids(sender, instances, pks, created, before))


def people_linked(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Attendees, presenters, owners and release helpers added or removed with
    a many-to-many manager (`.add()`, `.remove()`, `.set()`, `.clear()`)."""
    if not action.startswith("post_") and action != "pre_clear":
        return
    if reverse:  # from the person's side: every call that names them
        forget(meeting_ids(Attendee, [instance], []))
    elif isinstance(instance, Meeting):  # meeting.attendees
        forget({instance.pk})
    else:
        forget({instance.meeting_id})


def connect() -> None:
    from agenda.models import ActionItem, AgendaItem

    for model in (
        Meeting,
        MeetingSeries,
        Attendee,
        Attendance,
        AgendaItem,
        ActionItem,
        ReleaseTeam,
    ):
        public_rows_written.connect(rows_written, sender=model)
    for through in (
        Meeting.attendees.through,
        AgendaItem.presenters.through,
        ActionItem.owners.through,
        ReleaseTeam.members.through,
    ):
        m2m_changed.connect(people_linked, sender=through)
