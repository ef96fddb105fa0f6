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
