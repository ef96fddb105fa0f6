"""The live notebook's writes: one call's notes as fields with stable keys.

Every part a note-taker types or picks is a *field* named by a stable key
(`highlights`, `notes`, `item:<pk>:notes`, `action:<pk>:text`, ...), the same keys
the real-time document uses for its texts. A save from a form loaded at an older
version is merged field by field against what the form was loaded with: a field
only this person changed is saved, a field only someone else changed is kept, and a
field both changed (differently) is a conflict shown side by side; nothing is ever
overwritten.
"""

import hashlib
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils.text import get_text_list

from agenda.models import ActionItem, AgendaItem
from agenda.services import _save, announce_status_change, apply_action_item_status
from meetings.models import Meeting
from meetings.services import lock_meeting
from people.models import Attendee
from people.parsing import parse_attendee_lines
from people.services import match_attendee

MEETING_TEXTS = {
    "highlights": "Highlights",
    "notes": "Free notes",
    "next_release": "Next release",
    "recording_url": "Recording link",
}
# Agenda statuses a note-taker sets while the call runs; moderation (accept,
# decline with a reason) stays on the agenda page.
ITEM_STATUSES = [
    AgendaItem.Status.ACCEPTED,
    AgendaItem.Status.DISCUSSED,
    AgendaItem.Status.DEFERRED,
]
ACTION_STATUSES = [
    ActionItem.Status.OPEN,
    ActionItem.Status.DONE,
    ActionItem.Status.DROPPED,
]
NEW_ACTION = "action:new"


def normalize(value: str) -> str:
    """Browsers send CRLF from text areas; the models keep LF."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def digest(value: str) -> str:
    """What a form remembers of a field's value when it was loaded."""
    return hashlib.sha256(normalize(value).encode()).hexdigest()[:20]


def person_label(person: Attendee | None) -> str:
    return str(person) if person else ""


def owners_label(action: ActionItem) -> str:
    names = [str(person) for person in action.owners.all()]
    if action.owner_names:
        names.append(action.owner_names)
    return ", ".join(names)


def notebook_items(meeting: Meeting) -> list[AgendaItem]:
    """The call's agenda in order, as the notebook lists it."""
    return list(
        AgendaItem.objects.for_meeting(meeting)
        .exclude(status=AgendaItem.Status.DECLINED)
        .order_by(
            # Accepted and discussed first, in agenda order; then the rest.
            "position",
            "pk",
        )
        .prefetch_related("presenters")
    )


def notebook_actions(meeting: Meeting) -> list[ActionItem]:
    return list(
        ActionItem.objects.filter(meeting=meeting)
        .exclude(status=ActionItem.Status.SUGGESTED)
        .order_by("position", "pk")
        .prefetch_related("owners")
    )


def field_values(
    meeting: Meeting,
    items: list[AgendaItem] | None = None,
    actions: list[ActionItem] | None = None,
) -> dict[str, str]:
    """Every notebook field of the call, by key, as the form shows it."""
    items = notebook_items(meeting) if items is None else items
    actions = notebook_actions(meeting) if actions is None else actions
    values = {key: getattr(meeting, key) for key in MEETING_TEXTS}
    values["next_mc"] = person_label(meeting.next_mc)
    for item in items:
        values[f"item:{item.pk}:notes"] = item.discussion_notes
        values[f"item:{item.pk}:status"] = item.status
    for action in actions:
        values[f"action:{action.pk}:text"] = action.description
        values[f"action:{action.pk}:owners"] = owners_label(action)
        values[f"action:{action.pk}:status"] = action.status
    return {key: normalize(value) for key, value in values.items()}


def field_label(key: str, meeting: Meeting) -> str:
    """A field's name in messages ("notes of “Release 0.26”")."""
    if key in MEETING_TEXTS:
        return MEETING_TEXTS[key]
    if key == "next_mc":
        return "MC next call"
    kind, pk, part = key.split(":")
    if kind == "item":
        item = AgendaItem.objects.filter(pk=pk).first()
        title = f"“{item.title}”" if item else "a removed agenda item"
        return f"{'notes' if part == 'notes' else 'status'} of {title}"
    action = ActionItem.objects.filter(pk=pk).first()
    title = f"“{action.description[:40]}”" if action else "a removed action item"
    return {"text": "text", "owners": "owners", "status": "status"}[
        part
    ] + f" of action item {title}"


@dataclass(frozen=True)
class Conflict:
    """A field both this person and someone else changed since the form loaded."""

    key: str
    label: str
    mine: str
    theirs: str


@dataclass
class NotebookSave:
    """What saving the notebook form did."""

    meeting: Meeting
    saved: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # only someone else changed them
    conflicts: list[Conflict] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # the row was removed meanwhile
    problems: list[str] = field(default_factory=list)  # e.g. an unknown next MC

    @property
    def changed(self) -> bool:
        return bool(self.saved)


def _person(text: str) -> tuple[Attendee | None, str]:
    """The one known person a "Name (@handle)" names, or None and the reason."""
    parsed, _unreadable = parse_attendee_lines(text)
    if len(parsed) != 1:
        return None, f"“{text}” does not name one person."
    match = match_attendee(parsed[0])
    if match.attendee is None:
        why = "several people match" if match.is_ambiguous else "no one matches"
        return None, f"“{text}”: {why}; pick a name from the list."
    return match.attendee, ""


def _set_owners(action: ActionItem, text: str) -> None:
    """Known people become owners; other names stay as written."""
    people, unknown = [], []
    for token in (part.strip() for part in text.split(",")):
        if not token:
            continue
        person, _why = _person(token)
        if person is None:
            unknown.append(token)
        elif person not in people:
            people.append(person)
    action.owners.set(people)
    action.owner_names = ", ".join(unknown)[:200]


def merge_fields(
    *, submitted: dict[str, str], bases: dict[str, str], current: dict[str, str]
) -> tuple[dict[str, str], list[str], list[str], list[str]]:
    """Three-way merge of a form against the current values, field by field.

    `bases` holds `digest()` of each field as the form was loaded. Returns what to
    write, the keys kept as someone else left them, the keys in conflict, and the
    keys whose row is gone.
    """
    to_write, kept, conflicts, gone = {}, [], [], []
    for key, mine in submitted.items():
        mine = normalize(mine)
        if key not in current:
            gone.append(key)
            continue
        theirs = current[key]
        if mine == theirs:
            continue
        base = bases.get(key)
        if base is None or base == digest(theirs):
            to_write[key] = mine  # only I changed it (or a field new to the form)
        elif base == digest(mine):
            kept.append(key)  # only they changed it
        else:
            conflicts.append(key)
    return to_write, kept, conflicts, gone


def save_notebook(
    *,
    meeting: Meeting,
    user: AbstractBaseUser | None,
    submitted: dict[str, str],
    bases: dict[str, str],
    new_action: dict[str, str] | None = None,
) -> NotebookSave:
    """Save the notebook form, merged field by field with what others saved.

    Fields in conflict are left as they are in the database and returned for the
    person to resolve. The meeting gets one new version naming what changed.
    """
    with transaction.atomic():
        current = lock_meeting(meeting=meeting, related=("next_mc",))
        items = {item.pk: item for item in notebook_items(current)}
        actions = {action.pk: action for action in notebook_actions(current)}
        values = field_values(current, list(items.values()), list(actions.values()))
        to_write, kept, conflict_keys, gone = merge_fields(
            submitted=submitted, bases=bases, current=values
        )
        result = NotebookSave(meeting=current, kept=kept, gone=gone)
        result.conflicts = [
            Conflict(
                key,
                field_label(key, current),
                normalize(submitted[key]),
                values[key],
            )
            for key in conflict_keys
        ]
        for key, value in to_write.items():
            problem = _write(
                key, value, meeting=current, items=items, actions=actions, user=user
            )
            if problem:
                result.problems.append(problem)
            else:
                result.saved.append(key)
        if new_action and normalize(new_action.get("text", "")).strip():
            _add_action(current, new_action, user=user)
            result.saved.append(NEW_ACTION)
        if result.saved:
            labels = [
                "a new action item" if key == NEW_ACTION else field_label(key, current)
                for key in result.saved
            ]
            if len(labels) > 3:
                labels = [*labels[:3], f"{len(labels) - 3} more"]
            current.save_new_version(
                user=user, reason=f"Notebook: {get_text_list(labels, 'and')}"
            )
    return result


def _write(key, value, *, meeting, items, actions, user) -> str:
    """Write one merged field; returns why it was refused, or ""."""
    if key in MEETING_TEXTS:
        if key == "recording_url":
            value = value.strip()
            try:
                URLValidator(schemes=["https", "http"])(value) if value else None
            except ValidationError:
                return f"Recording link: “{value}” is not a web address."
        setattr(meeting, key, value)
        return ""
    if key == "next_mc":
        person, why = _person(value) if value.strip() else (None, "")
        if why:
            return f"MC next call: {why}"
        meeting.next_mc = person
        return ""
    kind, pk, part = key.split(":")
    if kind == "item":
        return _write_item(items[int(pk)], part, value, user=user)
    return _write_action(actions[int(pk)], part, value, meeting=meeting, user=user)


def _write_item(item, part, value, *, user) -> str:
    if part == "notes":
        item.discussion_notes = value
        _save(item, user=user, reason="Notes taken in the notebook")
        return ""
    if value not in ITEM_STATUSES:
        return f"“{item.title}” cannot be set to “{value}” here; use the agenda page."
    previous, item.status = item.status, value
    _save(item, user=user, reason=f"Marked {item.get_status_display().lower()}")
    announce_status_change(item=item, previous_status=previous)
    return ""


def _write_action(action, part, value, *, meeting, user) -> str:
    if part == "text":
        if not value.strip():
            return "An action item needs its text; set it dropped instead."
        action.description = value.strip()[:2000]
    elif part == "owners":
        _set_owners(action, value)
    elif value in ACTION_STATUSES:
        action.status = value
        apply_action_item_status(item=action, meeting=meeting)
    else:
        return f"“{value}” is not a status of action items."
    action._history_user = user
    action.save()
    return ""


def _add_action(meeting: Meeting, data: dict[str, str], *, user) -> ActionItem:
    last = ActionItem.objects.filter(meeting=meeting).order_by("-position").first()
    action = ActionItem(
        meeting=meeting,
        description=normalize(data["text"]).strip()[:2000],
        position=(last.position + 1) if last else 1,
    )
    action._history_user = user
    action.save()
    if data.get("owners"):
        _set_owners(action, normalize(data["owners"]))
        action.save(update_fields=["owner_names"])
    return action
