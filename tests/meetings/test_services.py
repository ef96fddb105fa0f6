import datetime as dt
import threading
import time

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection as db_connection
from django.db import transaction
from django.utils import timezone

from agenda.services import get_or_create_next_meeting
from meetings.models import Attendance, Meeting
from meetings.services import (
    CheckInRefused,
    EditConflict,
    MeetingError,
    MeetingLocked,
    bump_version,
    check_in,
    check_version,
    confirm_check_ins,
    plan_attendance,
    record_attendance,
    reopen_meeting,
    save_meeting,
)
from people.models import Attendee
from tests.factories import (
    AliasFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

START = dt.datetime(2024, 5, 1, 16, 0, tzinfo=dt.UTC)


def held(**kwargs):
    return MeetingFactory(status=Meeting.Status.HELD, **kwargs)


# Saving with the version check ----------------------------------------------------


def test_save_meeting_bumps_the_version_and_records_the_user():
    meeting = held(highlights="old")
    ann = UserFactory(username="ann", first_name="Ann", last_name="Bee")
    meeting.highlights = "new"
    save_meeting(meeting=meeting, loaded_version=1, user=ann)
    meeting.refresh_from_db()
    assert (meeting.version, meeting.highlights) == (2, "new")
    latest = meeting.history.latest("history_date")
    assert (latest.version, latest.history_user) == (2, ann)


def test_a_stale_save_is_refused_naming_who_changed_what_and_when():
    meeting = held(series=MeetingSeriesFactory(time_zone="Europe/Rome"))
    ann = UserFactory(username="ann", first_name="Ann", last_name="Bee")
    mine, theirs = (Meeting.objects.get(pk=meeting.pk) for _ in range(2))
    theirs.highlights = "Their highlights"
    theirs.notes = "Their notes"
    save_meeting(meeting=theirs, loaded_version=1, user=ann)
    when = (
        theirs.history.latest("history_date")
        .history_date.astimezone(meeting.series.tzinfo)
        .strftime("%Y-%m-%d %H:%M %Z")
    )

    mine.highlights = "Mine"
    with pytest.raises(EditConflict) as refused:
        save_meeting(meeting=mine, loaded_version=1, user=UserFactory())
    assert refused.value.message == (
        "Someone saved this meeting while you were editing it (you opened version "
        f"1): version 2 by Ann Bee at {when}: changed highlights and free notes. "
        "Nothing of yours was saved. What you typed is still in the form below: "
        "compare it with their changes (see “Versions”), then save again to replace "
        "their version with yours."
    )
    assert when.endswith(("CEST", "CET"))
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.version) == ("Their highlights", 2)


def test_check_version_refuses_stale_and_locked_forms():
    meeting = held()
    assert check_version(meeting=meeting, loaded_version=1).pk == meeting.pk
    bump_version(meeting=meeting, user=None, reason="Accepted “X”")
    with pytest.raises(EditConflict, match=r"version 2 by an automatic change .*"):
        check_version(meeting=meeting, loaded_version=1)
    with pytest.raises(EditConflict, match="Accepted “X”"):
        check_version(meeting=meeting, loaded_version=1)
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.FINALIZED)
    with pytest.raises(MeetingLocked, match="are locked: nothing was saved"):
        check_version(meeting=meeting, loaded_version=2)


def test_saving_a_finalized_meeting_is_refused_with_who_finalized_it():
    boss = UserFactory(username="boss")
    meeting = MeetingFactory(
        status=Meeting.Status.FINALIZED, finalized_by=boss, finalized_at=START
    )
    with pytest.raises(MeetingLocked) as refused:
        save_meeting(meeting=meeting, loaded_version=1, user=boss)
    assert refused.value.message == (
        "These notes were finalized by boss at 2024-05-01 16:00 UTC and are locked: "
        "nothing was saved. A Maintainer can reopen them."
    )


def test_bump_version_keeps_the_reason_and_refuses_locked_notes():
    meeting = held()
    bumped = bump_version(meeting=meeting, user=None, reason="Moved “Docs”")
    assert bumped.version == 2
    assert meeting.history.latest("history_date").history_change_reason == (
        "Moved “Docs”"
    )
    finalized = MeetingFactory(status=Meeting.Status.FINALIZED)
    with pytest.raises(MeetingLocked):
        bump_version(meeting=finalized, user=None, reason="x")


# Next meeting, reopen -------------------------------------------------------------


def test_next_meeting_is_created_from_the_recurrence_with_the_next_mc():
    series = MeetingSeriesFactory(interval_weeks=2)
    bo = AttendeeFactory()
    meeting = held(series=series, start=START, next_mc=bo)
    assert meeting.following() is None
    created, is_new = get_or_create_next_meeting(meeting=meeting, user=None, reason="r")
    assert is_new
    assert created.start == START + dt.timedelta(weeks=2)
    assert (created.mc, created.status) == (bo, Meeting.Status.SCHEDULED)
    again, is_new = get_or_create_next_meeting(meeting=meeting, user=None, reason="r")
    assert (again, is_new) == (created, False)


def test_an_earlier_special_call_is_the_next_one_a_later_one_is_not():
    series = MeetingSeriesFactory()
    meeting = held(series=series, start=START)
    far = held(series=series, start=START + dt.timedelta(weeks=3))
    assert meeting.following() is None
    special = held(series=series, start=START + dt.timedelta(days=2))
    assert meeting.following() == special
    assert far != special


def test_a_cancelled_call_in_the_slot_moves_the_new_one_on():
    series = MeetingSeriesFactory()
    meeting = held(series=series, start=START)
    MeetingFactory(
        series=series,
        start=START + dt.timedelta(weeks=1),
        status=Meeting.Status.CANCELLED,
    )
    created, _ = get_or_create_next_meeting(meeting=meeting, user=None, reason="r")
    assert created.start == START + dt.timedelta(weeks=2)


def test_reopen_needs_a_reason_and_finalized_notes():
    boss = UserFactory(username="boss")
    with pytest.raises(MeetingError) as refused:
        reopen_meeting(meeting=held(), user=boss, reason="typo")
    assert refused.value.message == (
        "These notes are not finalized: there is nothing to reopen."
    )
    finalized = MeetingFactory(finalized_by=boss, finalized_at=START)
    with pytest.raises(MeetingError) as refused:
        reopen_meeting(meeting=finalized, user=boss, reason="  ")
    assert refused.value.message == (
        "Say why the notes are reopened: the reason is kept in the log."
    )


def test_reopen_unlocks_bumps_the_version_and_logs_the_reason():
    boss = UserFactory(username="boss")
    meeting = MeetingFactory(finalized_by=boss, finalized_at=START)
    reopened = reopen_meeting(meeting=meeting, user=boss, reason="Wrong link")
    assert reopened.status == Meeting.Status.HELD
    assert (reopened.finalized_at, reopened.finalized_by, reopened.version) == (
        None,
        None,
        2,
    )
    record = meeting.history.latest("history_date")
    assert record.history_change_reason == "Reopened: Wrong link"
    assert record.history_user == boss
    entry = LogEntry.objects.get(object_id=str(meeting.pk))
    assert entry.change_message == "Reopened the notes: Wrong link"
    assert entry.user == boss


# Attendance -----------------------------------------------------------------------

PASTE = """\
- Ada Quill ([@adaquill](https://github.com/adaquill))
- Lore (@lore-handle)
- Bram Okafor ([bramok](https://github.com/bramok))
@newbie
- Alex
- Ada Q (@AdaQuill)
- [Your Name](https://github.com/your-handle)
"""


def test_plan_attendance_previews_known_new_repeated_ambiguous_and_unreadable():
    meeting = held()
    ada = AttendeeFactory(display_name="Ada Quill", github_handle="adaquill")
    lore = AttendeeFactory(display_name="Leonardo", github_handle="")
    AliasFactory(attendee=lore, name="Lore")
    AttendeeFactory(display_name="Alex", github_handle="")
    AttendeeFactory(display_name="alex", github_handle="alex-two")
    AttendanceFactory(meeting=meeting, attendee=ada)

    plan = plan_attendance(meeting=meeting, text=PASTE)
    summary = [
        (
            row.match.parsed.name,
            row.match.matched_by,
            row.already_listed,
            row.will_be_added,
        )
        for row in plan.rows
    ]
    assert summary == [
        ("Ada Quill", "handle", True, False),
        ("Lore", "alias", False, True),
        ("Bram Okafor", "new", False, True),
        ("newbie", "new", False, True),
        ("Alex", "ambiguous", False, False),
    ]
    # "Ada Q (@AdaQuill)" is the same handle as line 1: the parser keeps it once.
    assert plan.unreadable == [(7, "- [Your Name](https://github.com/your-handle)")]
    assert [row.match.parsed.name for row in plan.new_people] == [
        "Bram Okafor",
        "newbie",
    ]
    assert Attendance.objects.filter(meeting=meeting).count() == 1  # no writes


def test_record_attendance_creates_people_and_attendance_in_order():
    earlier = held(start=START - dt.timedelta(weeks=1))
    meeting = held(series=earlier.series, start=START)
    lore = AttendeeFactory(display_name="Leonardo", github_handle="")
    AliasFactory(attendee=lore, name="Lore")
    AttendanceFactory(meeting=earlier, attendee=lore)
    boss = UserFactory()

    result = record_attendance(
        meeting=meeting,
        text="- Lore (@lore-gh)\n- Bram Okafor (@bramok)\n- Bram Okafor (@bramok)",
        user=boss,
    )
    assert [a.attendee.display_name for a in result.added] == [
        "Leonardo",
        "Bram Okafor",
    ]
    assert [p.github_handle for p in result.created_people] == ["bramok"]
    rows = list(meeting.attendances.order_by("position"))
    assert [(r.attendee.display_name, r.position, r.first_time) for r in rows] == [
        ("Leonardo", 1, False),
        ("Bram Okafor", 2, True),
    ]
    lore.refresh_from_db()
    assert lore.github_handle == "lore-gh"  # filled in from the line
    entry = LogEntry.objects.get(object_id=str(meeting.pk))
    assert entry.change_message == "Added 2 people to who joined (1 new)."

    again = record_attendance(meeting=meeting, text="- Bram (@bramok)", user=boss)
    assert again.added == []
    assert len(again.skipped) == 1
    assert Attendee.objects.filter(github_handle__iexact="bramok").count() == 1


def test_record_attendance_refusals():
    with pytest.raises(MeetingError) as refused:
        record_attendance(meeting=held(), text="\n   \n", user=None)
    assert refused.value.message == (
        "No names found: paste lines such as “- Ada Quill (@adaquill)”."
    )
    with pytest.raises(MeetingLocked, match="are locked"):
        record_attendance(meeting=MeetingFactory(), text="@ada", user=None)


# Check-in -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes_after_start", "message"),
    [
        (-1, "Check-in opens when the call starts, at 2024-05-01 16:00 UTC."),
        (
            60 + 30 + 1,
            "Check-in closed at 2024-05-01 17:30 UTC, 30 minutes after the call ended.",
        ),
    ],
)
def test_check_in_is_open_only_while_the_call_is_on(minutes_after_start, message):
    meeting = MeetingFactory(start=START, status=Meeting.Status.SCHEDULED)
    now = START + dt.timedelta(minutes=minutes_after_start)
    with pytest.raises(CheckInRefused) as refused:
        check_in(meeting=meeting, handle="ada", now=now)
    assert refused.value.message == message
    assert not Attendee.objects.filter(github_handle="ada").exists()


@pytest.mark.parametrize("minutes_after_start", [0, 45, 90])
def test_check_in_edges_of_the_window_are_open(minutes_after_start):
    meeting = MeetingFactory(start=START, status=Meeting.Status.SCHEDULED)
    now = START + dt.timedelta(minutes=minutes_after_start)
    assert check_in(meeting=meeting, handle="ada", now=now).check_in.pk


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (
            Meeting.Status.CANCELLED,
            "This call was cancelled: there is nothing to check in to.",
        ),
        (
            Meeting.Status.FINALIZED,
            "The notes of this call are finalized: check-in is closed.",
        ),
    ],
)
def test_check_in_refused_for_cancelled_and_finalized_calls(status, message):
    meeting = MeetingFactory(start=timezone.now(), status=status)
    with pytest.raises(CheckInRefused) as refused:
        check_in(meeting=meeting, handle="ada")
    assert refused.value.message == message


def test_an_unverified_check_in_waits_for_the_mc_and_is_idempotent():
    meeting = MeetingFactory(start=START, status=Meeting.Status.HELD)
    now = START + dt.timedelta(minutes=5)
    first = check_in(meeting=meeting, handle="@NewFace", now=now)
    assert first.already is False
    assert (first.check_in.github_handle, first.check_in.verified) == ("NewFace", False)
    second = check_in(meeting=meeting, handle="newface", now=now)
    assert (second.check_in, second.already) == (first.check_in, True)
    assert not Attendee.objects.filter(github_handle__iexact="newface").exists()
    assert meeting.attendances.count() == 0


def test_the_mc_confirms_check_ins_into_who_joined():
    mc_user = UserFactory(username="mc", is_staff=True)
    meeting = MeetingFactory(start=START, status=Meeting.Status.HELD)
    known = AttendeeFactory(github_handle="adaquill")
    now = START + dt.timedelta(minutes=5)
    records = [
        check_in(meeting=meeting, handle=h, now=now).check_in
        for h in ("AdaQuill", "@NewFace")
    ]
    other = check_in(
        meeting=MeetingFactory(start=START, status=Meeting.Status.HELD),
        handle="elsewhere",
        now=now,
    ).check_in
    result = confirm_check_ins(
        meeting=meeting, check_ins=[*records, other], user=mc_user
    )
    assert [a.attendee.github_handle for a in result.added] == ["adaquill", "NewFace"]
    assert [p.display_name for p in result.created_people] == ["NewFace"]
    assert set(meeting.attendees.all()) == {known, result.created_people[0]}
    for record in records:
        record.refresh_from_db()
        assert record.verified
        assert record.verified_by == mc_user
        assert record.attendee is not None
    other.refresh_from_db()
    assert not other.verified  # another call's check-in is not this MC's to confirm
    # Confirming again changes nothing.
    again = confirm_check_ins(meeting=meeting, check_ins=records, user=mc_user)
    assert again.added == []
    assert again.confirmed == []
    assert meeting.attendances.count() == 2


def test_a_verified_check_in_lists_the_person_at_once():
    # The path a proven handle (a GitHub sign-in) takes.
    meeting = MeetingFactory(start=START, status=Meeting.Status.HELD)
    now = START + dt.timedelta(minutes=5)
    result = check_in(meeting=meeting, handle="ada", verified=True, now=now)
    result.check_in.refresh_from_db()
    assert result.check_in.verified
    assert result.check_in.verified_by is None
    assert [a.github_handle for a in meeting.attendees.all()] == ["ada"]
    assert meeting.attendances.get().first_time


def test_check_in_refuses_a_bad_handle():
    meeting = MeetingFactory(start=START, status=Meeting.Status.HELD)
    with pytest.raises(CheckInRefused, match="is not a valid GitHub handle") as e:
        check_in(meeting=meeting, handle="no spaces", now=START)
    assert e.value.code == "invalid_handle"


# Real concurrency (PostgreSQL: SQLite has no row locks and one writer at a time) ---


def _race(meeting_pk: int, *, check_first: bool) -> dict[str, str]:
    """Two editors, each in their own transaction and connection, save version 1."""
    barrier = threading.Barrier(2, timeout=10)
    results: dict[str, str] = {}

    def edit(name: str) -> None:
        try:
            with transaction.atomic():
                mine = Meeting.objects.get(pk=meeting_pk)
                barrier.wait()
                if check_first:
                    check_version(meeting=mine, loaded_version=1)
                    time.sleep(0.3)  # hold the row lock; the other editor waits
                mine.highlights = f"{name}'s highlights"
                save_meeting(meeting=mine, loaded_version=1, user=None)
            results[name] = "saved"
        except EditConflict:
            results[name] = "conflict"
        finally:
            db_connection.close()

    threads = [threading.Thread(target=edit, args=(name,)) for name in ("ann", "bo")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    return results


@pytest.mark.skipif(
    db_connection.vendor != "postgresql", reason="needs row locks (PostgreSQL)"
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("check_first", [True, False])
def test_two_concurrent_saves_of_one_version_only_one_wins(check_first):
    meeting = held()
    results = _race(meeting.pk, check_first=check_first)
    assert sorted(results.values()) == ["conflict", "saved"]
    winner = next(name for name, result in results.items() if result == "saved")
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.version) == (f"{winner}'s highlights", 2)
    assert meeting.history.count() == 2
