import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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
