import datetime as dt

import pytest
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from agenda.services import (
    FinalizeError,
    ModerationError,
    accept_agenda_item,
    agenda_budget,
    apply_action_item_status,
    decline_agenda_item,
    defer_agenda_item,
    diff_versions,
    finalize_meeting,
    meeting_versions,
    move_agenda_item,
    notes_snapshot,
    reorder_agenda,
    restore_meeting_version,
    return_agenda_item_to_proposed,
    take_from_backlog,
)
from meetings.models import Meeting
from meetings.services import EditConflict, MeetingError, MeetingLocked, save_meeting
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    ReleaseTeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

S = AgendaItem.Status
START = dt.datetime(2024, 5, 1, 16, 0, tzinfo=dt.UTC)


def held(**kwargs):
    kwargs.setdefault("start", START)
    return MeetingFactory(status=Meeting.Status.HELD, **kwargs)


def proposal(meeting, title="Plugin API", minutes=5, **kwargs):
    return AgendaItemFactory(
        meeting=meeting,
        title=title,
        requested_minutes=minutes,
        status=S.PROPOSED,
        **kwargs,
    )


# Moderation -----------------------------------------------------------------------


def test_accept_puts_the_item_last_and_bumps_the_meeting():
    meeting = held()
    first = proposal(meeting, "First")
    second = proposal(meeting, "Second")
    user = UserFactory()
    accept_agenda_item(item=second, user=user)
    accept_agenda_item(item=first, user=user)
    order = list(meeting.agenda_items.accepted().order_by("position"))
    assert order == [second, first]
    meeting.refresh_from_db()
    assert meeting.version == 3
    assert meeting.history.latest("history_date").history_change_reason == (
        "Accepted “First”"
    )
    assert first.history.latest("history_date").history_user == user


def test_accepting_twice_is_refused_with_the_current_status():
    item = proposal(held(), "Docs")
    accept_agenda_item(item=item, user=None)
    with pytest.raises(ModerationError) as refused:
        accept_agenda_item(item=item, user=None)
    assert refused.value.message == (
        "“Docs” is accepted now, so it cannot be accepted. Reload the page to see "
        "the current agenda."
    )


def test_decline_needs_a_reason_that_is_stored():
    item = proposal(held(), "Docs")
    with pytest.raises(ModerationError) as refused:
        decline_agenda_item(item=item, user=None, reason="  ")
    assert refused.value.message == "Give a reason for declining: the proposer sees it."
    with pytest.raises(ModerationError) as refused:
        decline_agenda_item(item=item, user=None, reason="x" * 1001)
    assert refused.value.message == "Keep the reason under 1000 characters."
    decline_agenda_item(item=item, user=None, reason="Out of scope, try the forum")
    item.refresh_from_db()
    assert (item.status, item.decline_reason) == (
        S.DECLINED,
        "Out of scope, try the forum",
    )
    return_agenda_item_to_proposed(item=item, user=None)
    item.refresh_from_db()
    assert (item.status, item.decline_reason) == (S.PROPOSED, "")


def test_defer_to_next_creates_the_next_call_and_moves_the_item():
    bo = AttendeeFactory()
    meeting = held(next_mc=bo)
    item = proposal(meeting, "Later")
    defer_agenda_item(item=item, user=None)
    item.refresh_from_db()
    next_meeting = item.meeting
    assert next_meeting.start == meeting.series.start_following(meeting.start)
    assert (next_meeting.mc, item.status) == (bo, S.PROPOSED)
    assert meeting.agenda_items.count() == 0


def test_defer_to_backlog_and_take_it_back():
    meeting = held()
    item = proposal(meeting, "Someday")
    defer_agenda_item(item=item, user=None, to_backlog=True)
    item.refresh_from_db()
    assert (item.meeting, item.status) == (None, S.DEFERRED)
    assert list(AgendaItem.objects.backlog(meeting.series)) == [item]
    with pytest.raises(ModerationError) as refused:
        accept_agenda_item(item=item, user=None)
    assert (
        refused.value.message == "“Someday” waits in the series backlog, not on a call."
    )
    other_series_meeting = held(series=MeetingSeriesFactory())
    with pytest.raises(ModerationError) as refused:
        take_from_backlog(item=item, meeting=other_series_meeting, user=None)
    assert refused.value.message == (
        "“Someday” is not in this series' backlog any more."
    )
    take_from_backlog(item=item, meeting=meeting, user=None)
    item.refresh_from_db()
    assert (item.meeting, item.status) == (meeting, S.ACCEPTED)


def test_move_up_and_down_and_refuse_past_the_edges():
    meeting = held()
    a, b, c = (proposal(meeting, title) for title in "ABC")
    for item in (a, b, c):
        accept_agenda_item(item=item, user=None)
    move_agenda_item(item=c, user=None, offset=-1)
    titles = [i.title for i in meeting.agenda_items.accepted().order_by("position")]
    assert titles == ["A", "C", "B"]
    with pytest.raises(ModerationError) as refused:
        move_agenda_item(item=a, user=None, offset=-1)
    assert refused.value.message == "“A” is already first on the agenda."
    with pytest.raises(ModerationError) as refused:
        move_agenda_item(item=b, user=None, offset=1)
    assert refused.value.message == "“B” is already last on the agenda."
    with pytest.raises(ModerationError) as refused:
        move_agenda_item(item=proposal(meeting, "D"), user=None, offset=1)
    assert refused.value.message == (
        "“D” is proposed now, so it cannot be moved. Reload the page to see the "
        "current agenda."
    )


def test_reorder_sets_the_order_and_refuses_a_stale_list():
    meeting = held()
    items = [proposal(meeting, title) for title in "ABC"]
    for item in items:
        accept_agenda_item(item=item, user=None)
    reorder_agenda(
        meeting=meeting, user=None, item_ids=[items[2].pk, items[0].pk, items[1].pk]
    )
    titles = [i.title for i in meeting.agenda_items.accepted().order_by("position")]
    assert titles == ["C", "A", "B"]
    with pytest.raises(ModerationError) as refused:
        reorder_agenda(meeting=meeting, user=None, item_ids=[items[0].pk])
    assert refused.value.message == (
        "The agenda changed while you were sorting it: reload the page and sort again."
    )


def test_moderation_of_finalized_notes_is_refused():
    meeting = MeetingFactory()
    item = AgendaItemFactory(meeting=meeting, status=S.PROPOSED)
    with pytest.raises(MeetingLocked):
        accept_agenda_item(item=item, user=None)
    item.refresh_from_db()
    assert item.status == S.PROPOSED


def test_budget_counts_accepted_minutes_against_the_length():
    meeting = held(length_minutes=30)
    for minutes in (20, 15):
        accept_agenda_item(item=proposal(meeting, minutes=minutes), user=None)
    proposal(meeting, minutes=10)
    budget = agenda_budget(meeting=meeting)
    assert (budget.accepted, budget.proposed, budget.length) == (35, 10, 30)
    assert budget.is_over
    assert budget.over_by == 5
    assert budget.left == 0


# Action items -----------------------------------------------------------------------


def test_closing_an_action_item_records_where_and_reopening_clears_it():
    meeting = held()
    item = ActionItemFactory(meeting=MeetingFactory(series=meeting.series))
    item.status = ActionItem.Status.DONE
    apply_action_item_status(item=item, meeting=meeting)
    assert item.closed_in == meeting
    later = held(series=meeting.series, start=START + dt.timedelta(weeks=1))
    apply_action_item_status(item=item, meeting=later)
    assert item.closed_in == meeting  # closed once, where it was closed
    item.status = ActionItem.Status.OPEN
    apply_action_item_status(item=item, meeting=later)
    assert item.closed_in is None


# Finalize ---------------------------------------------------------------------------


def test_finalize_lists_everything_missing():
    meeting = MeetingFactory(
        start=timezone.now() + dt.timedelta(days=1),
        status=Meeting.Status.SCHEDULED,
        mc=None,
    )
    proposal(meeting, "Docs")
    accepted = proposal(meeting, "Roadmap")
    accept_agenda_item(item=accepted, user=None)
    with pytest.raises(FinalizeError) as refused:
        finalize_meeting(meeting=meeting, user=None)
    when = meeting.start.strftime("%Y-%m-%d %H:%M UTC")
    assert refused.value.message == "The notes cannot be finalized yet:"
    assert refused.value.problems == [
        f"The call has not started yet: it starts at {when}.",
        "No MC is set for this call.",
        "Agenda item “Docs” is still proposed: mark it discussed, deferred or "
        "declined.",
        "Agenda item “Roadmap” is still accepted: mark it discussed, deferred or "
        "declined.",
    ]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.SCHEDULED
    assert Meeting.objects.count() == 1


def test_finalize_refuses_a_cancelled_call():
    meeting = MeetingFactory(status=Meeting.Status.CANCELLED)
    with pytest.raises(FinalizeError) as refused:
        finalize_meeting(meeting=meeting, user=None)
    assert refused.value.problems == [
        "The call was cancelled: there are no notes to finalize."
    ]


def test_finalize_locks_prepares_the_next_call_and_carries_everything_over():
    series = MeetingSeriesFactory()
    ann, bo = AttendeeFactory(display_name="Ann"), AttendeeFactory(display_name="Bo")
    user = UserFactory()
    earlier = MeetingFactory(series=series, start=START - dt.timedelta(weeks=1))
    meeting = held(series=series, mc=ann, next_mc=bo)
    old_open = ActionItemFactory(meeting=earlier, description="Old, still open")
    ActionItemFactory(
        meeting=earlier,
        description="Old, done",
        status=ActionItem.Status.DONE,
        closed_in=earlier,
    )
    new_open = ActionItemFactory(meeting=meeting, description="New")
    AgendaItemFactory(meeting=meeting, status=S.DISCUSSED, title="Talked")
    AgendaItemFactory(meeting=meeting, status=S.DECLINED, title="No")
    deferred = AgendaItemFactory(meeting=meeting, status=S.DEFERRED, title="Later")
    team = ReleaseTeamFactory(version="1.5.0", meeting=earlier, lead=ann)
    ReleaseTeamFactory(version="1.4.0", meeting=earlier, released_on=START.date())

    result = finalize_meeting(meeting=meeting, user=user)

    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.FINALIZED
    assert (meeting.finalized_by, meeting.version) == (user, 2)
    assert meeting.finalized_at is not None
    next_meeting = result.next_meeting
    assert result.next_created
    assert next_meeting.start == START + dt.timedelta(weeks=1)
    assert (next_meeting.mc, next_meeting.status) == (bo, Meeting.Status.SCHEDULED)
    deferred.refresh_from_db()
    assert (deferred.meeting, deferred.status) == (next_meeting, S.PROPOSED)
    assert result.moved_items == [deferred]
    carried = set(ActionItem.objects.carried_over_to(next_meeting).open())
    assert carried == {old_open, new_open} == set(result.carried_over)
    assert ActionItem.objects.count() == 3  # listed, not copied
    assert result.release_teams == [team]


def test_finalize_stores_the_github_references_of_the_notes():
    meeting = held(highlights="Fixed in example/widget#12")
    AgendaItemFactory(meeting=meeting, status=S.DISCUSSED, discussion_notes="See #7")
    finalize_meeting(meeting=meeting, user=None)
    assert sorted(str(ref) for ref in meeting.github_refs.all()) == [
        "example/widget#12",
        "example/widget#7",
    ]


def test_finalizing_twice_changes_nothing_the_second_time():
    meeting = held(next_mc=AttendeeFactory())
    AgendaItemFactory(meeting=meeting, status=S.DEFERRED)
    finalize_meeting(meeting=meeting, user=None)
    meetings, history = Meeting.objects.count(), Meeting.history.count()
    items = AgendaItem.history.count()
    again = finalize_meeting(meeting=meeting, user=None)
    assert again.already_finalized
    assert again.next_meeting is not None
    assert (Meeting.objects.count(), Meeting.history.count()) == (meetings, history)
    assert AgendaItem.history.count() == items


def test_finalize_uses_an_existing_next_call_and_sets_its_missing_mc():
    bo = AttendeeFactory()
    meeting = held(next_mc=bo)
    existing = MeetingFactory(
        series=meeting.series,
        start=START + dt.timedelta(weeks=1),
        mc=None,
        status=Meeting.Status.SCHEDULED,
    )
    result = finalize_meeting(meeting=meeting, user=None)
    assert (result.next_meeting, result.next_created) == (existing, False)
    existing.refresh_from_db()
    assert existing.mc == bo


def test_finalize_keeps_an_existing_next_mc_and_says_so():
    bo, cy = AttendeeFactory(display_name="Bo"), AttendeeFactory(display_name="Cy")
    meeting = held(next_mc=bo)
    existing = MeetingFactory(
        series=meeting.series,
        start=START + dt.timedelta(weeks=1),
        mc=cy,
        status=Meeting.Status.SCHEDULED,
    )
    result = finalize_meeting(meeting=meeting, user=None)
    existing.refresh_from_db()
    assert existing.mc == cy
    assert result.notes == [
        f"The next call already has {cy} as MC; this call's closing named {bo}. "
        "Change it there if needed."
    ]


# Versions ---------------------------------------------------------------------------


def _edit(meeting, user=None, **changes):
    meeting = Meeting.objects.get(pk=meeting.pk)
    for name, value in changes.items():
        setattr(meeting, name, value)
    return save_meeting(meeting=meeting, loaded_version=meeting.version, user=user)


def test_snapshot_shows_the_notes_and_agenda_as_they_were():
    meeting = held(highlights="First draft")
    item = AgendaItemFactory(meeting=meeting, title="Docs", discussion_notes="v1")
    _edit(meeting, highlights="Second draft")
    item.discussion_notes = "v2 notes"
    item.save()
    _edit(meeting, notes="Free")
    first, second, third = meeting.history.order_by("history_date")
    assert "First draft" in notes_snapshot(record=first)
    assert "### 1. Docs (Discussed)\nv1" in notes_snapshot(record=first)
    assert "v2 notes" in notes_snapshot(record=second)
    assert "Free" in notes_snapshot(record=third)


def test_diff_is_a_plain_line_diff():
    meeting = held(highlights="<b>old</b>")
    _edit(meeting, highlights="<script>new</script>")
    old, new = meeting.history.order_by("history_date")
    lines = diff_versions(old=old, new=new)
    assert ("removed", "<b>old</b>") in [(line.kind, line.text) for line in lines]
    assert ("added", "<script>new</script>") in [
        (line.kind, line.text) for line in lines
    ]


def test_versions_list_says_who_did_what():
    meeting = held()
    ann = UserFactory(username="ann")
    _edit(meeting, user=ann, highlights="x")
    summaries = [v.summary for v in meeting_versions(meeting=meeting)]
    assert summaries == ["changed highlights", "created the meeting"]


def test_restore_brings_back_notes_as_a_new_version():
    meeting = held(highlights="Good")
    item = AgendaItemFactory(meeting=meeting, discussion_notes="Good item notes")
    _edit(meeting, highlights="Vandalized", next_release="x")
    item.discussion_notes = "Vandalized too"
    item.save()
    good = meeting.history.order_by("history_date").first()
    user = UserFactory()

    restored = restore_meeting_version(
        meeting=meeting, history_id=good.history_id, user=user, expected_version=2
    )
    assert (restored.highlights, restored.next_release, restored.version) == (
        "Good",
        "",
        3,
    )
    item.refresh_from_db()
    assert item.discussion_notes == "Good item notes"
    latest = meeting.history.latest("history_date")
    assert (latest.history_change_reason, latest.history_user) == (
        "Restored version 1",
        user,
    )


def test_restore_refuses_stale_pages_and_locked_notes():
    meeting = held()
    _edit(meeting, highlights="x")
    first = meeting.history.order_by("history_date").first()
    with pytest.raises(EditConflict):
        restore_meeting_version(
            meeting=meeting, history_id=first.history_id, user=None, expected_version=1
        )
    other = held(series=MeetingSeriesFactory())
    with pytest.raises(MeetingError) as refused:
        restore_meeting_version(
            meeting=other, history_id=first.history_id, user=None, expected_version=1
        )
    assert refused.value.message == "This version does not belong to this meeting."
    Meeting.objects.filter(pk=meeting.pk).update(status=Meeting.Status.FINALIZED)
    with pytest.raises(MeetingLocked):
        restore_meeting_version(
            meeting=meeting, history_id=first.history_id, user=None, expected_version=2
        )


def test_deferring_to_a_finalized_next_call_is_refused():
    meeting = held()
    next_meeting = MeetingFactory(
        series=meeting.series, start=START + dt.timedelta(weeks=1)
    )  # finalized
    item = proposal(meeting, "Later")
    with pytest.raises(ModerationError) as refused:
        defer_agenda_item(item=item, user=None)
    assert refused.value.message == (
        f"The next call ({next_meeting.date_key}) is finalized already: defer the "
        "item to the backlog instead."
    )
    item.refresh_from_db()
    assert item.meeting == meeting


def test_finalize_sends_deferred_items_to_the_backlog_when_the_next_is_final():
    meeting = held()
    MeetingFactory(series=meeting.series, start=START + dt.timedelta(weeks=1))
    deferred = AgendaItemFactory(meeting=meeting, status=S.DEFERRED)
    result = finalize_meeting(meeting=meeting, user=None)
    deferred.refresh_from_db()
    assert (deferred.meeting, deferred.status) == (None, S.DEFERRED)
    assert result.notes == [
        "The next call is finalized already, so the deferred items went to the "
        "series backlog."
    ]
