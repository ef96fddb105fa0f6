"""Writes that span several models of the agenda and the meeting around it.

Moderation (accept, decline, defer, order), finalizing a meeting with everything
it carries over to the next call, closing action items, and the versions of a
meeting's notes (snapshots to compare, restore).
"""

import datetime as dt
import difflib
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings.models import Meeting, ReleaseTeam
from meetings.roles import give_rights_to_mc
from meetings.services import (
    EditConflict,
    MeetingError,
    bump_version,
    conflict_message,
    describe_record,
    lock_meeting,
)
from notices.models import Notice, Preference, SeriesChannels
from people.models import Attendee

Status = AgendaItem.Status
DECLINE_REASON_REQUIRED = "Give a reason for declining: the proposer sees it."


class ModerationError(MeetingError):
    """A moderation step was refused."""


class FinalizeError(MeetingError):
    """The notes cannot be finalized yet; `problems` lists what is missing."""


# Moderation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaBudget:
    """Requested minutes of a call's agenda against its length."""

    length: int
    accepted: int
    proposed: int

    @property
    def over_by(self) -> int:
        return max(0, self.accepted - self.length)

    @property
    def is_over(self) -> bool:
        return self.accepted > self.length

    @property
    def left(self) -> int:
        return max(0, self.length - self.accepted)


def agenda_budget(*, meeting: Meeting) -> AgendaBudget:
    """Accepted and proposed minutes of the call's agenda, against its length."""
    items = AgendaItem.objects.for_meeting(meeting)
    return AgendaBudget(
        length=meeting.length,
        accepted=items.accepted().total_minutes(),
        proposed=items.proposed().total_minutes(),
    )


def _title(item: AgendaItem) -> str:
    return f"“{item.title}”"


def _lock_item(item: AgendaItem) -> AgendaItem:
    return (
        AgendaItem.objects.select_for_update(of=("self",))
        .select_related("meeting__series", "series")
        .get(pk=item.pk)
    )


def _tell_proposer(
    item: AgendaItem, *, kind: str, occurrence: str, **context: str
) -> None:
    """Enqueue the decision for the proposer, in the decision's transaction. Sent
    only if the address asked for it (notices checks when sending)."""
    address = item.proposer_email
    if not address and item.proposer_id:
        # Signed in with GitHub and left no address: the person's own choices.
        address = (
            Preference.objects.filter(attendee_id=item.proposer_id)
            .values_list("email", flat=True)
            .first()
        )
    Notice.objects.enqueue(
        kind=kind,
        about=item,
        occurrence=occurrence,
        address=address,
        due_at=timezone.now(),
        context=context,
    )


def announce_status_change(
    *, item: AgendaItem, previous_status: str, previous_meeting: Meeting | None = None
) -> None:
    """Tell the proposer about a status set outside the Agenda page: the admin's
    item form and changelist, the meeting page's agenda rows, the notebook.

    Call it after saving the item, in the same transaction, once per change. An
    accept or a decline (with its reason) is told at once, through the same
    `_tell_proposer` as the Agenda page. An item marked deferred on its call is
    told when finalize moves it and knows where to; one taken off its call into
    the backlog, at once.
    """
    if item.status == previous_status:
        return
    # Each save of the item has its own history record: the change's occurrence,
    # so a repeated call adds nothing and a later decision is a new notice.
    record = (
        item.history.order_by("-history_id").values_list("history_id", flat=True)
    ).first()
    meeting = item.meeting or previous_meeting
    if meeting is None:
        return
    occurrence = f"{meeting.date_key}@h{record}"
    # Accepted after a discussion or a deferral nobody was told of yet is no news.
    if item.status == Status.ACCEPTED and previous_status in (
        Status.PROPOSED,
        Status.DECLINED,
    ):
        _tell_proposer(item, kind=Notice.Kind.PROPOSAL_ACCEPTED, occurrence=occurrence)
    elif item.status == Status.DECLINED:
        _tell_proposer(
            item,
            kind=Notice.Kind.PROPOSAL_DECLINED,
            occurrence=occurrence,
            reason=item.decline_reason,
        )
    elif item.status == Status.DEFERRED and item.meeting_id is None:
        _tell_proposer(
            item,
            kind=Notice.Kind.PROPOSAL_DEFERRED,
            occurrence=occurrence,
            to="backlog",
            **{"from": meeting.date_key},
        )


def _require(item: AgendaItem, allowed: set[str], action: str) -> None:
    if item.status not in allowed:
        raise ModerationError(
            f"{_title(item)} is {item.get_status_display().lower()} now, so it "
            f"cannot be {action}. Reload the page to see the current agenda.",
            code="wrong_status",
        )


def _require_on_meeting(item: AgendaItem) -> Meeting:
    if item.meeting_id is None:
        raise ModerationError(
            f"{_title(item)} waits in the series backlog, not on a call.",
            code="in_backlog",
        )
    return item.meeting


def _save(
    item: AgendaItem, *, user: AbstractBaseUser | None, reason: str
) -> AgendaItem:
    item._history_user = user
    item._change_reason = reason[:100]
    item.save()
    return item


def propose_agenda_item(*, meeting: Meeting, item: AgendaItem) -> AgendaItem:
    """Put a proposal from the public (an unsaved item) at the end of the call's
    agenda, as proposed: one transaction, one new site stamp."""
    with transaction.atomic():
        item.meeting = meeting
        item.series = meeting.series
        item.status = Status.PROPOSED
        item.position = AgendaItem.objects.for_meeting(meeting).next_position()
        item.save()
    return item


def accept_agenda_item(
    *, item: AgendaItem, user: AbstractBaseUser | None
) -> AgendaItem:
    """Put a proposal on the call's agenda, after the accepted items."""
    with transaction.atomic():
        item = _lock_item(item)
        meeting = _require_on_meeting(item)
        _require(item, {Status.PROPOSED, Status.DECLINED}, "accepted")
        bump_version(meeting=meeting, user=user, reason=f"Accepted {_title(item)}")
        item.status = Status.ACCEPTED
        item.decline_reason = ""
        item.position = AgendaItem.objects.for_meeting(meeting).next_position()
        _tell_proposer(
            item,
            kind=Notice.Kind.PROPOSAL_ACCEPTED,
            occurrence=f"{meeting.date_key}@v{meeting.version}",
        )
        return _save(item, user=user, reason="Accepted")


def decline_agenda_item(
    *, item: AgendaItem, user: AbstractBaseUser | None, reason: str
) -> AgendaItem:
    """Decline a proposal, with the reason the proposer will read."""
    reason = (reason or "").strip()
    if not reason:
        raise ModerationError(DECLINE_REASON_REQUIRED, code="reason_required")
    limit = AgendaItem._meta.get_field("decline_reason").max_length
    if len(reason) > limit:
        raise ModerationError(
            f"Keep the reason under {limit} characters.", code="reason_too_long"
        )
    with transaction.atomic():
        item = _lock_item(item)
        meeting = _require_on_meeting(item)
        _require(item, {Status.PROPOSED, Status.ACCEPTED}, "declined")
        bump_version(meeting=meeting, user=user, reason=f"Declined {_title(item)}")
        item.status = Status.DECLINED
        item.decline_reason = reason
        _tell_proposer(
            item,
            kind=Notice.Kind.PROPOSAL_DECLINED,
            occurrence=f"{meeting.date_key}@v{meeting.version}",
            reason=reason,
        )
        return _save(item, user=user, reason="Declined")


def return_agenda_item_to_proposed(
    *, item: AgendaItem, user: AbstractBaseUser | None
) -> AgendaItem:
    """Undo an accept or decline: the item waits for a decision again."""
    with transaction.atomic():
        item = _lock_item(item)
        meeting = _require_on_meeting(item)
        _require(item, {Status.ACCEPTED, Status.DECLINED}, "put back to proposed")
        bump_version(
            meeting=meeting, user=user, reason=f"Put back {_title(item)} to proposed"
        )
        item.status = Status.PROPOSED
        item.decline_reason = ""
        return _save(item, user=user, reason="Back to proposed")


def defer_agenda_item(
    *, item: AgendaItem, user: AbstractBaseUser | None, to_backlog: bool = False
) -> AgendaItem:
    """Move an item to the series' next call (created if needed) or its backlog.

    On the next call it is a proposal again, for that call's MC to moderate.
    """
    with transaction.atomic():
        item = _lock_item(item)
        meeting = _require_on_meeting(item)
        _require(item, {Status.PROPOSED, Status.ACCEPTED}, "deferred")
        if to_backlog:
            bump_version(
                meeting=meeting,
                user=user,
                reason=f"Deferred {_title(item)} to the backlog",
            )
            item.meeting = None
            item.status = Status.DEFERRED
            _tell_proposer(
                item,
                kind=Notice.Kind.PROPOSAL_DEFERRED,
                occurrence=f"{meeting.date_key}@v{meeting.version}",
                to="backlog",
                **{"from": meeting.date_key},
            )
            return _save(item, user=user, reason="Deferred to the series backlog")
        next_meeting, _created = get_or_create_next_meeting(
            meeting=meeting, user=user, reason="Scheduled to take a deferred item"
        )
        if next_meeting.is_finalized:
            raise ModerationError(
                f"The next call ({next_meeting.date_key}) is finalized already: "
                f"defer the item to the backlog instead.",
                code="next_finalized",
            )
        bump_version(
            meeting=meeting,
            user=user,
            reason=f"Deferred {_title(item)} to {next_meeting.date_key}",
        )
        bump_version(
            meeting=next_meeting,
            user=user,
            reason=f"{_title(item)} deferred here from {meeting.date_key}",
        )
        item.meeting = next_meeting
        item.status = Status.PROPOSED
        item.position = AgendaItem.objects.for_meeting(next_meeting).next_position()
        _tell_proposer(
            item,
            kind=Notice.Kind.PROPOSAL_DEFERRED,
            occurrence=f"{meeting.date_key}@v{meeting.version}",
            to=next_meeting.date_key,
            **{"from": meeting.date_key},
        )
        return _save(item, user=user, reason=f"Deferred from {meeting.date_key}")


def take_from_backlog(
    *, item: AgendaItem, meeting: Meeting, user: AbstractBaseUser | None
) -> AgendaItem:
    """Put an item waiting in the series backlog on this call's agenda."""
    with transaction.atomic():
        item = _lock_item(item)
        if item.meeting_id is not None or item.series_id != meeting.series_id:
            raise ModerationError(
                f"{_title(item)} is not in this series' backlog any more.",
                code="not_in_backlog",
            )
        bump_version(
            meeting=meeting, user=user, reason=f"Took {_title(item)} from the backlog"
        )
        item.meeting = meeting
        item.status = Status.ACCEPTED
        item.position = AgendaItem.objects.for_meeting(meeting).next_position()
        _tell_proposer(
            item,
            kind=Notice.Kind.PROPOSAL_ACCEPTED,
            occurrence=f"{meeting.date_key}@v{meeting.version}",
        )
        return _save(item, user=user, reason="Taken from the backlog")


def _renumber(
    items: list[AgendaItem], *, user: AbstractBaseUser | None, reason: str
) -> None:
    for position, item in enumerate(items, start=1):
        if item.position != position:
            item.position = position
            _save(item, user=user, reason=reason)


def move_agenda_item(
    *, item: AgendaItem, user: AbstractBaseUser | None, offset: int
) -> AgendaItem:
    """Move an accepted item up (offset -1) or down (+1) the agenda."""
    with transaction.atomic():
        item = _lock_item(item)
        meeting = _require_on_meeting(item)
        _require(item, {Status.ACCEPTED}, "moved")
        accepted = list(
            AgendaItem.objects.for_meeting(meeting)
            .accepted()
            .select_for_update(of=("self",))
            .order_by("position", "pk")
        )
        index = next(i for i, other in enumerate(accepted) if other.pk == item.pk)
        target = index + offset
        if not 0 <= target < len(accepted):
            where = "first" if offset < 0 else "last"
            raise ModerationError(
                f"{_title(item)} is already {where} on the agenda.", code="at_edge"
            )
        bump_version(meeting=meeting, user=user, reason=f"Moved {_title(item)}")
        accepted.insert(target, accepted.pop(index))
        _renumber(accepted, user=user, reason="Reordered")
    item.refresh_from_db()
    return item


def reorder_agenda(
    *, meeting: Meeting, user: AbstractBaseUser | None, item_ids: list[int]
) -> None:
    """Set the order of the accepted items at once (drag and drop)."""
    with transaction.atomic():
        accepted = {
            item.pk: item
            for item in AgendaItem.objects.for_meeting(meeting)
            .accepted()
            .select_for_update(of=("self",))
        }
        if sorted(item_ids) != sorted(accepted) or len(set(item_ids)) != len(item_ids):
            raise ModerationError(
                "The agenda changed while you were sorting it: reload the page and "
                "sort again.",
                code="stale_order",
            )
        bump_version(meeting=meeting, user=user, reason="Reordered the agenda")
        _renumber([accepted[pk] for pk in item_ids], user=user, reason="Reordered")


# Action items -----------------------------------------------------------------------


def apply_action_item_status(*, item: ActionItem, meeting: Meeting | None) -> None:
    """Record where an item was closed: done or dropped at `meeting`; open again
    clears it. The caller saves the item."""
    if item.status in (ActionItem.Status.DONE, ActionItem.Status.DROPPED):
        if item.closed_in_id is None and meeting is not None:
            item.closed_in = meeting
    else:
        item.closed_in = None


def current_meeting_of(item: ActionItem) -> Meeting | None:
    """The latest call of the item's series that has started: where it is closed
    when closed outside a meeting's page."""
    return (
        Meeting.objects.filter(series=item.meeting.series_id, start__lte=timezone.now())
        .order_by("-start")
        .first()
        or item.meeting
    )


# Finalize ----------------------------------------------------------------------------


def get_or_create_next_meeting(
    *, meeting: Meeting, user: AbstractBaseUser | None, reason: str
) -> tuple[Meeting, bool]:
    """The series' next call, scheduled from the recurrence if it does not exist.

    Its MC is the meeting's "MC next call", who gets the MC's rights at once.
    """
    with transaction.atomic():
        existing = meeting.following()
        if existing:
            return existing, False
        next_meeting = meeting.create_next(user=user, reason=reason)
        give_rights_to_mc(next_meeting)
    return next_meeting, True


@dataclass
class FinalizeResult:
    """What finalizing did, for the message to the MC."""

    meeting: Meeting
    next_meeting: Meeting | None = None
    next_created: bool = False
    already_finalized: bool = False
    moved_items: list[AgendaItem] = field(default_factory=list)
    carried_over: list[ActionItem] = field(default_factory=list)
    release_teams: list[ReleaseTeam] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def finalize_problems(*, meeting: Meeting, now: dt.datetime) -> list[str]:
    """Everything that stops the notes from being finalized, in words."""
    problems = []
    if meeting.is_cancelled:
        problems.append("The call was cancelled: there are no notes to finalize.")
    if meeting.start > now:
        problems.append(
            f"The call has not started yet: it starts at "
            f"{meeting.format_moment(meeting.start)}."
        )
    if meeting.mc_id is None:
        problems.append("No MC is set for this call.")
    undecided = AgendaItem.objects.for_meeting(meeting).filter(
        status__in=[Status.PROPOSED, Status.ACCEPTED]
    )
    for item in undecided.order_by("position", "pk"):
        problems.append(
            f"Agenda item {_title(item)} is still {item.get_status_display().lower()}: "
            f"mark it discussed, deferred or declined."
        )
    return problems


def finalize_meeting(
    *, meeting: Meeting, user: AbstractBaseUser | None, now: dt.datetime | None = None
) -> FinalizeResult:
    """Publish and lock the notes and prepare the series' next call.

    Checks that the call started, has an MC and no undecided agenda item. Then, in
    one transaction: status finalized with who and when; the next call created
    from the recurrence (MC: the next MC) unless it exists; deferred items moved
    onto it. Open action items need no copy: the next call lists every open item
    of earlier calls. Finalizing finalized notes changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        current = Meeting.objects.locked(meeting.pk, related=("mc", "next_mc"))
        if current.is_finalized:
            result = FinalizeResult(meeting=current, already_finalized=True)
            result.next_meeting = current.following()
            return result
        problems = finalize_problems(meeting=current, now=now)
        if problems:
            raise FinalizeError(
                "The notes cannot be finalized yet:",
                problems=problems,
                code="not_ready",
            )

        current.status = Meeting.Status.FINALIZED
        current.finalized_at = now
        current.finalized_by = user
        current.save_new_version(user=user, reason="Finalized the notes")
        current.log_change(user=user, message="Finalized the notes.")
        # /refs/ pages list finalized calls, so their references are stored now.
        current.sync_github_references()

        result = FinalizeResult(meeting=current)
        next_meeting, created = get_or_create_next_meeting(
            meeting=current,
            user=user,
            reason=f"Prepared when the call of {current.date_key} was finalized",
        )
        result.next_meeting, result.next_created = next_meeting, created
        if not created and current.next_mc_id:
            if next_meeting.mc_id is None and not next_meeting.is_finalized:
                next_meeting.mc_id = current.next_mc_id
                next_meeting.save_new_version(
                    user=user, reason="MC set from the previous call"
                )
            elif next_meeting.mc_id != current.next_mc_id:
                result.notes.append(
                    f"The next call already has {next_meeting.mc} as MC; this "
                    f"call's closing named {current.next_mc}. Change it there if "
                    f"needed."
                )

        deferred = list(
            AgendaItem.objects.for_meeting(current)
            .filter(status=Status.DEFERRED)
            .order_by("position", "pk")
        )
        if deferred:
            if next_meeting.is_finalized:
                target, reason = None, "Deferred to the backlog at finalize"
                result.notes.append(
                    "The next call is finalized already, so the deferred items "
                    "went to the series backlog."
                )
            else:
                target, reason = next_meeting, f"Deferred from {current.date_key}"
            position = AgendaItem.objects.for_meeting(next_meeting).next_position()
            for item in deferred:
                item.meeting = target
                if target is not None:
                    item.status = Status.PROPOSED
                    item.position = position
                    position += 1
                _save(item, user=user, reason=reason)
                result.moved_items.append(item)
                _tell_proposer(
                    item,
                    kind=Notice.Kind.PROPOSAL_DEFERRED,
                    occurrence=f"{current.date_key}@finalize",
                    to=target.date_key if target else "backlog",
                    **{"from": current.date_key},
                )

        result.carried_over = list(
            ActionItem.objects.carried_over_to(next_meeting)
            .open()
            .select_related("meeting")
            .prefetch_related("owners")
        )
        result.release_teams = list(
            ReleaseTeam.objects.in_progress(series_id=current.series_id)
        )
        _enqueue_finalize_notices(meeting=current, now=now)
    return result


def _enqueue_finalize_notices(*, meeting: Meeting, now: dt.datetime) -> None:
    """The notes to the series' list and webhook; each owner's action items to
    the owner's address, if they have one (notices checks the opt-in)."""
    occurrence = meeting.finalized_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    channels = SeriesChannels.objects.filter(series=meeting.series_id).first()
    if channels is not None:
        for address, channel in (
            (channels.list_address, Notice.Channel.EMAIL),
            (channels.webhook_url, Notice.Channel.WEBHOOK),
        ):
            Notice.objects.enqueue(
                kind=Notice.Kind.NOTES_PUBLISHED,
                about=meeting,
                occurrence=occurrence,
                address=address,
                channel=channel,
                is_list=True,
                due_at=now,
            )
    owners = (
        Attendee.objects.filter(
            owned_action_items__meeting=meeting,
            owned_action_items__status=ActionItem.Status.OPEN,
            notice_preference__isnull=False,
        )
        .select_related("notice_preference")
        .distinct()
    )
    for owner in owners:
        Notice.objects.enqueue(
            kind=Notice.Kind.ACTION_ITEMS,
            about=meeting,
            occurrence=occurrence,
            address=owner.notice_preference.email,
            due_at=now,
            context={"attendee": owner.pk},
        )


# Versions of the notes ---------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    """One saved version of a meeting's page, for the versions list."""

    record: object
    summary: str


def meeting_versions(*, meeting: Meeting) -> list[Version]:
    """Every saved version of the meeting, newest first, with what it changed."""
    records = list(
        meeting.history.select_related("history_user").order_by(
            "history_date", "history_id"
        )
    )
    versions = []
    previous = None
    for record in records:
        versions.append(Version(record, describe_record(record, previous)))
        previous = record
    return versions[::-1]


def _state_moment(record) -> dt.datetime | None:
    """The last moment at which the page looked like `record`'s version.

    The agenda and action items of a save are written just after the meeting's
    own record, so version N is the state just before version N+1 was saved.
    """
    later = (
        Meeting.history.filter(id=record.id, history_date__gt=record.history_date)
        .order_by("history_date")
        .values_list("history_date", flat=True)
        .first()
    )
    return later - dt.timedelta(microseconds=1) if later else None


def _items_as_of(model, *, meeting_id: int, moment: dt.datetime | None):
    if moment is None:
        return list(model.objects.filter(meeting_id=meeting_id))
    rows = (
        model.history.filter(history_date__lte=moment)
        .latest_of_each()
        .filter(meeting_id=meeting_id)
        .exclude(history_type="-")
    )
    return [row.instance for row in rows]


def _person(attendee_id: int | None, people: dict[int, Attendee]) -> str:
    if attendee_id is None:
        return "—"
    return str(people.get(attendee_id, f"person #{attendee_id}"))


def notes_snapshot(*, record) -> str:
    """The meeting's notes as they were at one version, as plain text to diff."""
    meeting = record.instance
    moment = _state_moment(record)
    items = sorted(
        _items_as_of(AgendaItem, meeting_id=record.id, moment=moment),
        key=lambda item: (item.status == Status.PROPOSED, item.position, item.pk),
    )
    actions = sorted(
        _items_as_of(ActionItem, meeting_id=record.id, moment=moment),
        key=lambda item: (item.position, item.pk),
    )
    people = Attendee.objects.in_bulk(
        [pk for pk in (record.mc_id, record.next_mc_id) if pk]
    )
    lines = [
        f"# {record.title or meeting.series.title} ({meeting.date_key})",
        f"Status: {meeting.get_status_display()}",
        f"MC: {_person(record.mc_id, people)}",
        "",
        "## Highlights",
        record.highlights or "",
        "",
        "## Agenda",
    ]
    for number, item in enumerate(items, start=1):
        presenters = f" [{item.presenter_names}]" if item.presenter_names else ""
        lines.append(
            f"### {number}. {item.title}{presenters} ({item.get_status_display()})"
        )
        if item.decline_reason:
            lines.append(f"Declined because: {item.decline_reason}")
        if item.discussion_notes:
            lines.append(item.discussion_notes)
    lines += ["", "## Free notes", record.notes or "", "", "## Action items"]
    for action in actions:
        lines.append(f"- [{action.get_status_display()}] {action.description}")
    lines += [
        "",
        "## Closing",
        f"Next MC: {_person(record.next_mc_id, people)}",
        f"Next release: {record.next_release or '—'}",
        f"Recording: {record.recording_url or '—'}",
    ]
    return "\n".join(line.rstrip() for line in "\n".join(lines).splitlines())


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "context", "added", "removed", "hunk"
    text: str


def diff_versions(*, old, new) -> list[DiffLine]:
    """A line diff of two versions' notes (plain text; the template escapes it)."""
    lines = difflib.unified_diff(
        notes_snapshot(record=old).splitlines(),
        notes_snapshot(record=new).splitlines(),
        fromfile=f"version {old.version}",
        tofile=f"version {new.version}",
        n=3,
        lineterm="",
    )
    result = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            result.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            result.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            result.append(DiffLine("removed", line[1:]))
        else:
            result.append(DiffLine("context", line[1:]))
    return result


RESTORED_MEETING_FIELDS = [
    "title",
    "length_minutes",
    "highlights",
    "notes",
    "info_url",
    "video_url",
    "recording_url",
    "next_mc",
    "next_release",
]


def restore_meeting_version(
    *,
    meeting: Meeting,
    history_id: int,
    user: AbstractBaseUser | None,
    expected_version: int,
) -> Meeting:
    """Bring back the notes of an older version as a new version.

    Restores the meeting's text fields and closing, and the discussion notes of the
    agenda items still on the call. Schedule, MC, status and moderation stay as
    they are.
    """
    with transaction.atomic():
        current = lock_meeting(meeting=meeting)
        if current.version != expected_version:
            raise EditConflict(
                conflict_message(meeting=current, loaded_version=expected_version),
                code="edit_conflict",
            )
        record = current.history.filter(history_id=history_id).first()
        if record is None:
            raise MeetingError(
                "This version does not belong to this meeting.", code="no_version"
            )
        for name in RESTORED_MEETING_FIELDS:
            attname = Meeting._meta.get_field(name).attname
            setattr(current, attname, getattr(record, attname))
        moment = _state_moment(record)
        old_items = {
            item.pk: item
            for item in _items_as_of(AgendaItem, meeting_id=current.pk, moment=moment)
        }
        for item in AgendaItem.objects.for_meeting(current).select_for_update(
            of=("self",)
        ):
            old = old_items.get(item.pk)
            if old is not None and old.discussion_notes != item.discussion_notes:
                item.discussion_notes = old.discussion_notes
                _save(item, user=user, reason=f"Restored version {record.version}")
        current.save_new_version(user=user, reason=f"Restored version {record.version}")
        current.log_change(
            user=user,
            message=f"Restored the notes of version {record.version}.",
        )
    return current
