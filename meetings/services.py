"""Writes to a meeting: safe saves, locking, reopening, attendance and check-in.

Every function here that changes a meeting's page bumps `Meeting.version` and leaves
a history record naming the user, so that a stale edit form is refused with a
message saying who changed what (see `save_meeting`). Writes that also touch the
agenda (finalize, moderation, restore) live in `agenda.services`.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import get_text_list

from meetings.models import Attendance, CheckIn, Meeting
from meetings.roles import give_rights_to_mc, takes_notes
from people.models import Attendee, normalize_handle, validate_github_handle
from people.parsing import parse_attendee_lines
from people.services import AttendeeMatch, PersonError, create_attendee, match_attendee

# The "I'm here" link stays open this long after the call's scheduled end.
CHECK_IN_GRACE = dt.timedelta(minutes=30)


class MeetingError(Exception):
    """A refused change to a meeting; `str(error)` is the message for the person."""

    def __init__(self, message: str, *, problems: list[str] | None = None, code=""):
        super().__init__(message)
        self.message = message
        self.problems = problems or []
        self.code = code


class EditConflict(MeetingError):
    """Someone saved the meeting after the form being saved was loaded."""


class MeetingLocked(MeetingError):
    """The meeting's notes are finalized; only a reopen unlocks them."""


class CheckInRefused(MeetingError):
    """The self check-in was refused (closed, cancelled, bad handle)."""


# Who may do what ----------------------------------------------------------------


def runs_meeting(user: AbstractBaseUser | AnonymousUser, meeting: Meeting) -> bool:
    """Whether `user` is the staff account of the meeting's MC."""
    return bool(
        user.is_authenticated
        and meeting.mc_id
        and meeting.mc.user_id is not None
        and meeting.mc.user_id == user.pk
    )


def can_edit_meeting(user: AbstractBaseUser | AnonymousUser, meeting: Meeting) -> bool:
    """Edit rights on the call's page and notes, lock aside.

    Maintainers, the call's MC and the note-takers granted for the call
    (meetings/roles.py); people who signed in with GitHub get the staff flag and
    group these need from their roles at sign-in.
    """
    if not (user.is_active and user.is_staff):
        return False
    if user.has_perm("meetings.edit_any_meeting"):
        return True
    return user.has_perm("meetings.change_meeting") and (
        runs_meeting(user, meeting) or takes_notes(user, meeting)
    )


def can_view_meeting(user: AbstractBaseUser | AnonymousUser, meeting: Meeting) -> bool:
    """Who may open the meeting's admin page (read-only while it is locked)."""
    if not (user.is_active and user.is_staff):
        return False
    if user.has_perm("meetings.edit_any_meeting"):
        return True
    return (runs_meeting(user, meeting) or takes_notes(user, meeting)) and (
        user.has_perm("meetings.view_meeting")
        or user.has_perm("meetings.change_meeting")
    )


# Versions and conflicts ------------------------------------------------------------


def describe_user(user: AbstractBaseUser | None) -> str:
    """A person's name as messages show it."""
    if user is None:
        return "an automatic change"
    return user.get_full_name() or user.get_username()


def describe_record(record, previous=None) -> str:
    """What one history record of a meeting changed, in words."""
    if record.history_change_reason:
        return record.history_change_reason
    if record.history_type == "+":
        return "created the meeting"
    if previous is None:
        return "saved the meeting"
    delta = record.diff_against(previous)
    if not delta.changed_fields:
        return "saved without changing the meeting's fields (agenda, action items)"
    names = [
        str(model_field.verbose_name)
        for model_field in Meeting._meta.fields  # in the form's order
        if model_field.name in delta.changed_fields
    ]
    return "changed " + get_text_list(names, "and")


def changes_since(*, meeting: Meeting, version: int) -> list[str]:
    """One line per version saved after `version`: who, when, what."""
    records = list(
        meeting.history.filter(version__gte=version)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    lines = []
    previous = None
    for record in records:
        if record.version > version:
            lines.append(
                f"version {record.version} by {describe_user(record.history_user)} "
                f"at {meeting.format_moment(record.history_date)}: "
                f"{describe_record(record, previous)}"
            )
        previous = record
    return lines


def conflict_message(*, meeting: Meeting, loaded_version: int) -> str:
    """The refusal of a stale save: who changed what since `loaded_version`."""
    changes = changes_since(meeting=meeting, version=loaded_version)
    who = "; ".join(changes) or f"now at version {meeting.version}"
    return (
        f"Someone saved this meeting while you were editing it (you opened "
        f"version {loaded_version}): {who}. Nothing of yours was saved. What you "
        f"typed is still in the form below: compare it with their changes (see "
        f"“Versions”), then save again to replace their version with yours."
    )


def locked_message(meeting: Meeting) -> str:
    """The refusal of an edit to finalized notes."""
    by = describe_user(meeting.finalized_by) if meeting.finalized_by_id else "someone"
    when = meeting.format_moment(meeting.finalized_at) if meeting.finalized_at else ""
    return (
        f"These notes were finalized by {by}{' at ' + when if when else ''} and are "
        f"locked: nothing was saved. A Maintainer can reopen them."
    )


def lock_meeting(
    *, meeting: Meeting, editable: bool = True, related: tuple[str, ...] = ()
) -> Meeting:
    """The meeting with its row locked (`Meeting.objects.locked`, inside
    `transaction.atomic()`); with `editable`, finalized notes are refused with
    `MeetingLocked`."""
    current = Meeting.objects.locked(meeting.pk, related=related)
    if editable and current.is_finalized:
        raise MeetingLocked(locked_message(current), code="locked")
    return current


def check_version(*, meeting: Meeting, loaded_version: int | None) -> Meeting:
    """Lock the meeting's row and refuse a form loaded at an older version.

    Called from the form's validation inside the admin's transaction: on
    PostgreSQL the row stays locked until the save commits, so two saves of the
    same version cannot both pass.
    """
    current = lock_meeting(meeting=meeting)
    if loaded_version != current.version:
        raise EditConflict(
            conflict_message(meeting=current, loaded_version=loaded_version or 0),
            code="edit_conflict",
        )
    return current


def save_meeting(
    *, meeting: Meeting, loaded_version: int, user: AbstractBaseUser | None
) -> Meeting:
    """Save an edited meeting, unless it changed since the form was loaded.

    The version moves from `loaded_version` to the next one with a conditional
    UPDATE, so of two saves racing on the same version only one can win, whatever
    the database.
    """
    with transaction.atomic():
        status = (
            Meeting.objects.filter(pk=meeting.pk)
            .values_list("status", flat=True)
            .first()
        )
        if status == Meeting.Status.FINALIZED:
            current = Meeting.objects.select_related("series", "finalized_by").get(
                pk=meeting.pk
            )
            raise MeetingLocked(locked_message(current), code="locked")
        won = Meeting.objects.filter(pk=meeting.pk, version=loaded_version).update(
            version=loaded_version + 1
        )
        if not won:
            current = Meeting.objects.select_related("series").get(pk=meeting.pk)
            raise EditConflict(
                conflict_message(meeting=current, loaded_version=loaded_version),
                code="edit_conflict",
            )
        meeting.version = loaded_version + 1
        meeting._history_user = user
        meeting.save()
        give_rights_to_mc(meeting)
    return meeting


def bump_version(
    *, meeting: Meeting, user: AbstractBaseUser | None, reason: str
) -> Meeting:
    """Record a change made to the meeting's page outside its form.

    Moderating the agenda, pasting attendance or restoring a version changes what
    an open edit form shows; bumping the version makes that form stale, and the
    history record says who did what.
    """
    with transaction.atomic():
        current = lock_meeting(meeting=meeting)
        current.save_new_version(
            user=user, reason=reason, update_fields=["version", "updated_at"]
        )
    meeting.version = current.version
    return current


# Reopening -------------------------------------------------------------


def reopen_meeting(
    *, meeting: Meeting, user: AbstractBaseUser | None, reason: str
) -> Meeting:
    """Unlock finalized notes for editing again; the reason is logged."""
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError(
            "Say why the notes are reopened: the reason is kept in the log.",
            code="reason_required",
        )
    with transaction.atomic():
        current = lock_meeting(meeting=meeting, editable=False)
        if not current.is_finalized:
            raise MeetingError(
                "These notes are not finalized: there is nothing to reopen.",
                code="not_finalized",
            )
        current.status = Meeting.Status.HELD
        current.finalized_at = None
        current.finalized_by = None
        current.save_new_version(user=user, reason=f"Reopened: {reason}")
        current.log_change(user=user, message=f"Reopened the notes: {reason}")
    return current


# Attendance ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttendanceRow:
    """One person of a pasted list, as the preview shows them."""

    match: AttendeeMatch
    already_listed: bool = False
    repeated: bool = False

    @property
    def will_be_added(self) -> bool:
        return not (self.match.is_ambiguous or self.already_listed or self.repeated)


@dataclass
class AttendancePlan:
    """What saving a pasted "Who joined" list would do."""

    rows: list[AttendanceRow] = field(default_factory=list)
    unreadable: list[tuple[int, str]] = field(default_factory=list)

    @property
    def to_add(self) -> list[AttendanceRow]:
        return [row for row in self.rows if row.will_be_added]

    @property
    def new_people(self) -> list[AttendanceRow]:
        return [row for row in self.to_add if row.match.is_new]


def plan_attendance(*, meeting: Meeting, text: str) -> AttendancePlan:
    """Read pasted lines and say who is known, who is new, who is listed already."""
    parsed, unreadable = parse_attendee_lines(text or "")
    listed = set(meeting.attendances.values_list("attendee_id", flat=True))
    seen: set[int] = set()
    rows = []
    for match in (match_attendee(entry) for entry in parsed):
        person = match.attendee
        rows.append(
            AttendanceRow(
                match=match,
                already_listed=bool(person and person.pk in listed),
                repeated=bool(person and person.pk in seen),
            )
        )
        if person:
            seen.add(person.pk)
    return AttendancePlan(rows=rows, unreadable=unreadable)


@dataclass
class AttendanceResult:
    added: list[Attendance] = field(default_factory=list)
    created_people: list[Attendee] = field(default_factory=list)
    skipped: list[AttendanceRow] = field(default_factory=list)


def _add_attendance(*, meeting: Meeting, attendee: Attendee) -> Attendance | None:
    """List the person as joined (once); None when they already are."""
    if meeting.attendances.filter(attendee=attendee).exists():
        return None
    position = (
        meeting.attendances.aggregate(top=models.Max("position"))["top"] or 0
    ) + 1
    first_time = not Attendance.objects.filter(
        attendee=attendee, meeting__start__lt=meeting.start
    ).exists()
    try:
        with transaction.atomic():
            return Attendance.objects.create(
                meeting=meeting,
                attendee=attendee,
                position=position,
                first_time=first_time,
            )
    except IntegrityError:
        return None  # listed a moment ago by someone else


def record_attendance(
    *, meeting: Meeting, text: str, user: AbstractBaseUser | None
) -> AttendanceResult:
    """Add everyone a pasted "Who joined" list names; create the new people.

    The list is read again here, so what is saved is what the preview showed
    unless someone changed the people meanwhile. Ambiguous names are skipped.
    """
    with transaction.atomic():
        current = lock_meeting(meeting=meeting)
        plan = plan_attendance(meeting=current, text=text)
        if not plan.rows:
            raise MeetingError(
                "No names found: paste lines such as “- Ada Quill (@adaquill)”.",
                code="nothing_to_add",
            )
        result = AttendanceResult()
        for row in plan.rows:
            if not row.will_be_added:
                result.skipped.append(row)
                continue
            person = row.match.attendee
            if person is None:
                try:
                    person = create_attendee(
                        name=row.match.parsed.name, handle=row.match.parsed.handle
                    )
                except PersonError:
                    result.skipped.append(row)
                    continue
                result.created_people.append(person)
            elif (
                row.match.sets_handle
                and not Attendee.objects.handle_is(row.match.parsed.handle).exists()
            ):
                person.github_handle = normalize_handle(row.match.parsed.handle)
                person.save(update_fields=["github_handle"])
            attendance = _add_attendance(meeting=current, attendee=person)
            if attendance:
                result.added.append(attendance)
        if result.added:
            current.log_change(
                user=user,
                message=f"Added {len(result.added)} people to who joined "
                f"({len(result.created_people)} new).",
            )
    return result


# Self check-in ------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckInResult:
    check_in: CheckIn
    already: bool = False


@dataclass
class ConfirmResult:
    added: list[Attendance] = field(default_factory=list)
    created_people: list[Attendee] = field(default_factory=list)
    confirmed: list[CheckIn] = field(default_factory=list)


def check_in_window(meeting: Meeting) -> tuple[dt.datetime, dt.datetime]:
    """From the call's start to 30 minutes after its scheduled end."""
    return meeting.start, meeting.end + CHECK_IN_GRACE


def check_in_refusal(*, meeting: Meeting, now: dt.datetime | None = None) -> str:
    """Why check-in is closed right now, or "" when it is open."""
    now = now or timezone.now()
    opens, closes = check_in_window(meeting)
    if meeting.is_cancelled:
        return "This call was cancelled: there is nothing to check in to."
    if meeting.is_finalized:
        return "The notes of this call are finalized: check-in is closed."
    if now < opens:
        return (
            f"Check-in opens when the call starts, at {meeting.format_moment(opens)}."
        )
    if now > closes:
        return (
            f"Check-in closed at {meeting.format_moment(closes)}, 30 minutes after "
            f"the call ended."
        )
    return ""


def check_in(
    *,
    meeting: Meeting,
    handle: str,
    verified: bool = False,
    user: AbstractBaseUser | None = None,
    now: dt.datetime | None = None,
) -> CheckInResult:
    """Record that the person with this GitHub handle says they joined the call.

    Anonymous check-ins are unverified: anyone can type any handle, so nobody is
    created or listed as joined until the MC confirms it (`confirm_check_ins`).
    With verified=True (the caller proved the handle, e.g. a GitHub sign-in) the
    person is listed at once. Checking in twice is harmless.
    """
    refusal = check_in_refusal(meeting=meeting, now=now)
    if refusal:
        raise CheckInRefused(refusal, code="closed")
    handle = normalize_handle(handle)
    try:
        validate_github_handle(handle)
    except ValidationError as error:
        raise CheckInRefused(" ".join(error.messages), code="invalid_handle") from error
    with transaction.atomic():
        record = (
            meeting.check_ins.alias(handle_ci=Lower("github_handle"))
            .filter(handle_ci=handle.lower())
            .first()
        )
        already = record is not None
        if record is None:
            try:
                with transaction.atomic():
                    record = CheckIn.objects.create(
                        meeting=meeting, github_handle=handle
                    )
            except IntegrityError:  # the same handle a moment ago
                record = meeting.check_ins.alias(handle_ci=Lower("github_handle")).get(
                    handle_ci=handle.lower()
                )
                already = True
        if verified and not record.verified:
            confirm_check_ins(meeting=meeting, check_ins=[record], user=user)
    return CheckInResult(check_in=record, already=already)


def confirm_check_ins(
    *,
    meeting: Meeting,
    check_ins: Iterable[CheckIn],
    user: AbstractBaseUser | None,
) -> ConfirmResult:
    """The MC vouches for these check-ins: list each person as joined.

    A handle nobody has yet becomes a new person. Already verified check-ins and
    those of another call are left alone.
    """
    result = ConfirmResult()
    with transaction.atomic():
        current = lock_meeting(meeting=meeting)
        pks = [record.pk for record in check_ins]
        pending = CheckIn.objects.select_for_update().filter(
            pk__in=pks, meeting=current, verified=False
        )
        for record in pending.order_by("created_at", "pk"):
            person = Attendee.objects.handle_is(record.github_handle).first()
            if person is None:
                try:
                    person = create_attendee(
                        name=record.github_handle, handle=record.github_handle
                    )
                except PersonError:
                    continue
                result.created_people.append(person)
            attendance = _add_attendance(meeting=current, attendee=person)
            if attendance:
                result.added.append(attendance)
            record.verified = True
            record.attendee = person
            record.verified_by = user if user and user.is_authenticated else None
            record.verified_at = timezone.now()
            record.save(
                update_fields=["verified", "attendee", "verified_by", "verified_at"]
            )
            result.confirmed.append(record)
        if result.added:
            current.log_change(
                user=user,
                message=f"Confirmed {len(result.confirmed)} check-ins: added "
                f"{len(result.added)} people to who joined "
                f"({len(result.created_people)} new).",
            )
    return result


def check_in_signed_in(
    *, meeting: Meeting, user: AbstractBaseUser, now: dt.datetime | None = None
) -> CheckInResult:
    """One click: the signed-in person checks in with their verified handle.

    Their handle is proven by the GitHub sign-in, so the check-in is verified and
    they are listed as joined at once, with no MC to confirm it.
    """
    person = (
        Attendee.objects.filter(user=user).exclude(github_handle="").first()
        if user.is_authenticated
        else None
    )
    if person is None:
        refusal = check_in_refusal(meeting=meeting, now=now)
        if refusal:
            raise CheckInRefused(refusal, code="closed")
        raise CheckInRefused(
            "Sign in with GitHub to check in with one click, or type your handle.",
            code="not_signed_in",
        )
    return check_in(
        meeting=meeting, handle=person.github_handle, verified=True, user=user, now=now
    )
