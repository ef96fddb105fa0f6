import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)


@pytest.mark.django_db
def test_item_takes_its_series_from_the_meeting():
    meeting = MeetingFactory()
    item = AgendaItem.objects.create(meeting=meeting, title="Hello")
    assert item.series == meeting.series
    assert str(item) == "Hello"
    assert item.get_absolute_url() == meeting.get_absolute_url() + f"#item-{item.pk}"


@pytest.mark.django_db
def test_requested_minutes_must_be_positive_and_bounded():
    meeting = MeetingFactory()
    for minutes in (0, 121):
        with pytest.raises(IntegrityError), transaction.atomic():
            AgendaItem.objects.create(
                meeting=meeting, title="x", requested_minutes=minutes
            )
    item = AgendaItem(
        meeting=meeting, series=meeting.series, title="x", requested_minutes=0
    )
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert "requested_minutes" in excinfo.value.message_dict


@pytest.mark.django_db
def test_item_in_the_backlog_has_no_meeting():
    series = MeetingSeriesFactory()
    item = AgendaItem.objects.create(series=series, title="Later")
    assert list(AgendaItem.objects.backlog(series)) == [item]
    assert item.get_absolute_url() == series.get_absolute_url()


@pytest.mark.django_db
def test_series_must_match_the_meeting():
    item = AgendaItem(
        meeting=MeetingFactory(), series=MeetingSeriesFactory(), title="x"
    )
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert excinfo.value.message_dict["series"] == [
        "The item's series must be its meeting's series."
    ]


@pytest.mark.django_db
def test_on_agenda_lists_accepted_before_proposed_and_hides_declined():
    meeting = MeetingFactory()
    proposed = AgendaItemFactory(meeting=meeting, status="proposed", position=0)
    accepted = AgendaItemFactory(meeting=meeting, status="accepted", position=5)
    AgendaItemFactory(meeting=meeting, status="declined", position=1)
    assert list(AgendaItem.objects.for_meeting(meeting).on_agenda()) == [
        accepted,
        proposed,
    ]


@pytest.mark.django_db
def test_page_agenda_orders_as_on_agenda_does():
    meeting = MeetingFactory()
    for position, status in enumerate(
        ["proposed", "accepted", "declined", "discussed", "proposed", "accepted"]
    ):
        # Equal positions too: the id breaks the tie, as in on_agenda().
        AgendaItemFactory(meeting=meeting, status=status, position=position // 2)
    AgendaItemFactory(status="accepted")  # another call's
    expected = list(AgendaItem.objects.for_meeting(meeting).on_agenda())
    assert AgendaItem.objects.page_agenda(meeting) == expected
    assert [item.status for item in expected] == [
        "accepted",
        "discussed",
        "accepted",
        "proposed",
        "proposed",
    ]


@pytest.mark.django_db
def test_total_minutes():
    meeting = MeetingFactory()
    AgendaItemFactory(meeting=meeting, requested_minutes=10)
    AgendaItemFactory(meeting=meeting, requested_minutes=15)
    assert AgendaItem.objects.for_meeting(meeting).total_minutes() == 25
    assert AgendaItem.objects.none().total_minutes() == 0


@pytest.mark.django_db
def test_proposer_handle_is_validated():
    meeting = MeetingFactory()
    item = AgendaItem(
        meeting=meeting, series=meeting.series, title="x", proposer_handle="-bad"
    )
    with pytest.raises(ValidationError) as excinfo:
        item.full_clean()
    assert "proposer_handle" in excinfo.value.message_dict


@pytest.mark.django_db
def test_action_items_querysets_and_str():
    meeting = MeetingFactory()
    open_item = ActionItemFactory(meeting=meeting, description="Ann to write docs")
    ActionItemFactory(meeting=meeting, status=ActionItem.Status.DONE)
    suggestion = ActionItemFactory(meeting=meeting, status=ActionItem.Status.SUGGESTED)
    assert list(ActionItem.objects.open()) == [open_item]
    assert list(ActionItem.objects.suggested()) == [suggestion]
    assert str(open_item) == "Ann to write docs"
    assert open_item.get_absolute_url().endswith(f"#action-{open_item.pk}")


@pytest.mark.django_db
def test_attached_people_are_the_relations_in_their_order(django_assert_num_queries):
    from agenda.models import attach_owners, attach_presenters
    from tests.factories import AttendeeFactory

    zed, amy, bob = (AttendeeFactory(display_name=n) for n in ("zed", "Amy", "bob"))
    meeting = MeetingFactory()
    items = [AgendaItemFactory(meeting=meeting) for _n in range(3)]
    items[0].presenters.add(zed, amy, bob)
    items[1].presenters.add(bob)
    actions = [ActionItemFactory(meeting=meeting) for _n in range(2)]
    actions[0].owners.add(zed, amy)
    items = list(AgendaItem.objects.filter(pk__in=[i.pk for i in items]))
    actions = list(ActionItem.objects.filter(pk__in=[a.pk for a in actions]))
    with django_assert_num_queries(2):
        attach_presenters(items)
        attach_owners(actions)
    with django_assert_num_queries(0):
        assert [item.presenter_people for item in items] == [[amy, bob, zed], [bob], []]
        assert [action.owner_list for action in actions] == [[amy, zed], []]
        assert [p for p, _name in items[0].presenter_entries] == [amy, bob, zed]
    # The same as the relations themselves (Attendee's ordering).
    assert [list(i.presenters.all()) for i in items] == [[amy, bob, zed], [bob], []]
    assert ActionItem.objects.get(pk=actions[0].pk).owner_list == [amy, zed]
    with django_assert_num_queries(0):
        attach_presenters([])


@pytest.mark.django_db
def test_open_carried_over_is_the_open_part_of_carried_over():
    import datetime as dt

    series = MeetingSeriesFactory()
    start = dt.datetime(2025, 6, 4, 16, tzinfo=dt.UTC)
    earlier, coming, later = (
        MeetingFactory(series=series, start=start + dt.timedelta(weeks=n))
        for n in (-1, 0, 1)
    )
    kept = ActionItemFactory(meeting=earlier, status="open")
    ActionItemFactory(meeting=earlier, status="done", closed_in=later)
    ActionItemFactory(meeting=later, status="open")
    ActionItemFactory(meeting=MeetingFactory(start=start - dt.timedelta(weeks=1)))
    carried = ActionItem.objects.carried_over_to(coming)
    assert carried.count() == 2
    assert list(ActionItem.objects.open_carried_over_to(coming)) == [kept]
    assert list(carried.open()) == [kept]


@pytest.mark.django_db
def test_status_badge_is_the_status_display_lower_cased():
    action = ActionItemFactory()
    for status in ActionItem.Status:
        action.status = status
        assert action.status_badge == action.get_status_display().lower()
    action.status = "Unheard-Of"
    assert action.status_badge == "unheard-of"
    assert ActionItem.Status.DROPPED.label == "Dropped"


@pytest.mark.django_db
def test_first_open_per_series_ranks_ties_and_counts_every_open_item():
    now = timezone.now()
    ours, theirs, unasked = MeetingSeriesFactory.create_batch(3)
    older = MeetingFactory(series=ours, start=now - dt.timedelta(weeks=3))
    newer = MeetingFactory(series=ours, start=now - dt.timedelta(weeks=2))
    draft = MeetingFactory(series=ours, status="held", start=now - dt.timedelta(days=1))
    due = dt.date(2026, 1, 10)

    def item(name, meeting, **fields):
        return ActionItemFactory(meeting=meeting, description=name, **fields)

    # Created out of the order they rank in, so only the ordering ranks them.
    undated_newer = item("undated newer", newer, position=0)
    late_newer = item("due newer", newer, due_date=due, position=5)
    # Same due date, call and position: the older row (lower id) first.
    tie_first = item("tie first", older, position=3)
    tie_second = item("tie second", older, position=3)
    late_older = item("due older", older, due_date=due, position=9)
    soonest = item("due soonest", newer, due_date=due - dt.timedelta(days=5))
    before_tie = item("before tie", older, position=1)
    item("done", older, status="done", due_date=due - dt.timedelta(days=30))
    item("at a draft", draft, due_date=due - dt.timedelta(days=30))
    their_only = item("theirs", MeetingFactory(series=theirs, start=older.start))
    item("unasked", MeetingFactory(series=unasked, start=older.start))

    rows = list(ActionItem.objects.first_open_per_series([ours.pk, theirs.pk], first=5))

    ranked = [soonest, late_older, late_newer, before_tie, tie_first]
    assert [a for a in rows if a.meeting.series_id == ours.pk] == ranked
    assert [a for a in rows if a.meeting.series_id == theirs.pk] == [their_only]
    # One list, in the ranking's order whatever the series.
    assert rows == [soonest, late_older, late_newer, their_only, before_tie, tie_first]
    # Counted: every open item of the series' finalized calls, shown or not.
    assert {a.pk: a.open_in_series for a in rows} == {
        **{a.pk: 7 for a in ranked},
        their_only.pk: 1,
    }
    assert tie_second not in rows
    assert undated_newer not in rows
    six = ActionItem.objects.first_open_per_series([ours.pk], first=6)
    assert list(six) == [*ranked, tie_second]
