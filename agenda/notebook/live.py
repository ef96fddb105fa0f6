"""The live notebook's document: one Yjs document per call, stored update by update.

Each text of the notebook (`highlights`, `notes`, `item:<pk>:notes`,
`action:<pk>:text`) is a Y.Text of the call's document under the same key the
form uses. Every update a browser sends is written to `NotebookUpdate` (append
only) before anyone else sees it; the document is the snapshot plus the updates
after it. Every few minutes, and at Finalize, the log is compacted into one
snapshot and the texts are written through to the models as a new version, so the
public page, search, export and history see them.
"""

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection, transaction
from django.utils import timezone
from pycrdt import Doc, Map, Text

from agenda.models import ActionItem, AgendaItem, NotebookUpdate
from agenda.services import _save
from meetings.models import Meeting

# A call's texts are written through to the models at least this often while
# people type (and always at Finalize).
WRITE_THROUGH_EVERY = dt.timedelta(minutes=3)
SEEDED = "_seeded"  # Y.Map: the keys whose model text was copied into the doc


EMPTY_UPDATE = Doc().get_update()


class NotebookLocked(Exception):
    """The call's notes are finalized: the document takes no more updates."""


def text_values(meeting: Meeting) -> dict[str, str]:
    """The notebook's texts as the models hold them, by key."""
    values = {"highlights": meeting.highlights, "notes": meeting.notes}
    items = AgendaItem.objects.for_meeting(meeting).exclude(
        status=AgendaItem.Status.DECLINED
    )
    for pk, notes in items.values_list("pk", "discussion_notes"):
        values[f"item:{pk}:notes"] = notes
    actions = ActionItem.objects.filter(meeting=meeting).exclude(
        status=ActionItem.Status.SUGGESTED
    )
    for pk, description in actions.values_list("pk", "description"):
        values[f"action:{pk}:text"] = description
    return values


def load_doc(meeting_id: int) -> tuple[Doc, int]:
    """The call's document from its stored snapshot and updates, and the last id."""
    doc = Doc()
    last = 0
    rows = NotebookUpdate.objects.filter(meeting_id=meeting_id).order_by("pk")
    for pk, data in rows.values_list("pk", "data"):
        doc.apply_update(bytes(data))
        last = pk
    return doc, last


def live_texts(meeting: Meeting) -> dict[str, str]:
    """The texts as typed now: the document's where it has them, else the models'."""
    values = text_values(meeting)
    doc, _last = load_doc(meeting.pk)
    seeded = doc.get(SEEDED, type=Map)
    return {
        key: str(doc.get(key, type=Text)) if key in seeded else value
        for key, value in values.items()
    }


def _lock_meeting(meeting_id: int, *, share: bool) -> str:
    """Lock the meeting's row for this transaction; returns its status.

    Storing an update takes a shared lock, finalizing and compacting an exclusive
    one: an update is either stored before the finalize reads the log, or refused
    after it.
    """
    if connection.vendor == "postgresql":
        mode = "SHARE" if share else "UPDATE"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT status FROM meetings_meeting WHERE id = %s FOR {mode}",
                [meeting_id],
            )
            row = cursor.fetchone()
    else:
        row = Meeting.objects.filter(pk=meeting_id).values_list("status").first()
    if row is None:
        raise Meeting.DoesNotExist(meeting_id)
    return row[0]


def store_updates(
    *, meeting_id: int, updates: list[tuple[bytes, AbstractBaseUser | None]]
) -> None:
    """Store several browsers' updates to one call in one transaction (what one
    app server received while the previous batch was being written); all are
    refused once the notes are finalized."""
    with transaction.atomic():
        if _lock_meeting(meeting_id, share=True) == Meeting.Status.FINALIZED:
            raise NotebookLocked(meeting_id)
        NotebookUpdate.objects.bulk_create(
            NotebookUpdate(
                meeting_id=meeting_id,
                data=data,
                author=user if user and user.is_authenticated else None,
            )
            for data, user in updates
        )


def _text_edit(text: Text, new: str) -> None:
    """Turn `text` into `new` by replacing only the part that differs."""
    old = str(text)
    if old == new:
        return
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[-1 - end] == new[-1 - end]:
        end += 1
    # pycrdt counts UTF-8 bytes.
    begin = len(old[:start].encode())
    old_stop = len(old[: len(old) - end].encode())
    if old_stop > begin:
        del text[begin:old_stop]
    inserted = new[start : len(new) - end]
    if inserted:
        text.insert(begin, inserted)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class Synced:
    """What `sync_doc` did: the update to send to open editors (or None) and
    whether the models got a new version."""

    update: bytes | None = None
    wrote_models: bool = False


def sync_doc(
    *, meeting_id: int, user: AbstractBaseUser | None = None, reason: str = ""
) -> Synced:
    """Bring the document and the models together, and compact the log.

    For each text, `_seeded` remembers the digest both sides last agreed on. A text
    typed in the document since is written to the model; a model text changed
    elsewhere (the admin, a restored version) while the document's stayed is copied
    into the document; a text new to the call is copied in. Then the log becomes
    one snapshot. The meeting's row is locked, so no update slips in between.
    """
    result = Synced()
    with transaction.atomic():
        status = _lock_meeting(meeting_id, share=False)
        rows = list(
            NotebookUpdate.objects.filter(meeting_id=meeting_id)
            .order_by("pk")
            .values_list("pk", "data")
        )
        doc = Doc()
        for _pk, data in rows:
            doc.apply_update(bytes(data))
        seeded = doc.get(SEEDED, type=Map)
        before = doc.get_state()
        if status != Meeting.Status.FINALIZED:
            meeting = Meeting.objects.select_related("series").get(pk=meeting_id)
            models_now = text_values(meeting)
            to_models = {}
            with doc.transaction():
                for key, value in models_now.items():
                    text = doc.get(key, type=Text)
                    live = str(text)
                    agreed = seeded.get(key)
                    if agreed is None:
                        # New to the document: the model's text, unless someone
                        # typed here before it was seeded.
                        if not live:
                            _text_edit(text, value)
                        elif live != value:
                            to_models[key] = live
                        seeded[key] = _digest(str(text))
                    elif _digest(live) != agreed:
                        to_models[key] = live
                        seeded[key] = _digest(live)
                    elif _digest(value) != agreed:
                        _text_edit(text, value)
                        seeded[key] = _digest(value)
            if to_models:
                _write_models(meeting, to_models, user=user, reason=reason)
                result.wrote_models = True
        update = doc.get_update(before)
        if update != EMPTY_UPDATE:
            result.update = update
        if len(rows) > 1 or result.update:
            NotebookUpdate.objects.create(
                meeting_id=meeting_id, data=doc.get_update(), is_snapshot=True
            )
            if rows:
                NotebookUpdate.objects.filter(
                    meeting_id=meeting_id, pk__lte=rows[-1][0]
                ).delete()
    return result


def set_texts(*, meeting_id: int, texts: dict[str, str]) -> bytes | None:
    """Server-side edits (the no-JS form) applied to the document as an update,
    so the live texts and the models agree. Returns the stored update."""
    doc, _last = load_doc(meeting_id)
    seeded = doc.get(SEEDED, type=Map)
    if not len(seeded):
        return None  # no live document yet: it is seeded from the models
    before = doc.get_state()
    with doc.transaction():
        for key, value in texts.items():
            _text_edit(doc.get(key, type=Text), value)
            seeded[key] = _digest(value)
    update = doc.get_update(before)
    if update == EMPTY_UPDATE:
        return None
    NotebookUpdate.objects.create(meeting_id=meeting_id, data=update)
    return update


def _write_models(meeting: Meeting, texts: dict[str, str], *, user, reason) -> None:
    for key, value in texts.items():
        if key in ("highlights", "notes"):
            setattr(meeting, key, value)
            continue
        kind, pk, _part = key.split(":")
        if kind == "item":
            item = AgendaItem.objects.get(pk=pk)
            item.discussion_notes = value
            _save(item, user=user, reason="Notes taken in the live notebook")
        elif value.strip():
            action = ActionItem.objects.get(pk=pk)
            action.description = value.strip()[:2000]
            action._history_user = user
            action.save()
    meeting.save_new_version(user=user, reason=f"Notebook: {reason or 'live notes'}")


def due_for_sync(meeting_id: int, now=None) -> bool:
    """Whether the newest snapshot is older than WRITE_THROUGH_EVERY."""
    now = now or timezone.now()
    last = (
        NotebookUpdate.objects.filter(meeting_id=meeting_id, is_snapshot=True)
        .order_by("-pk")
        .values_list("created_at", flat=True)
        .first()
    )
    return last is None or now - last >= WRITE_THROUGH_EVERY
