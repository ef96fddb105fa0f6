"""The stand-alone agenda and action item admin pages, for Maintainers."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings.models import Meeting
from tests.factories import ActionItemFactory, AgendaItemFactory, MeetingFactory
from tests.staff import form_data, maintainer

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    user, _ = maintainer("max")
    client = Client()
    client.force_login(user)
    return client


def test_items_of_finalized_notes_are_read_only(client):
    item = AgendaItemFactory(meeting=MeetingFactory())  # finalized
    url = reverse("admin:agenda_agendaitem_change", args=[item.pk])
    page = client.get(url)
    assert page.context["title"] == "View agenda item"
    assert client.post(url, {"title": "changed"}).status_code == 403
    delete = reverse("admin:agenda_agendaitem_delete", args=[item.pk])
    assert client.get(delete).status_code == 403


def test_editing_an_item_makes_its_meetings_open_form_stale(client):
    meeting = MeetingFactory(status=Meeting.Status.HELD)
    item = AgendaItemFactory(meeting=meeting, title="Old title")
    url = reverse("admin:agenda_agendaitem_change", args=[item.pk])
    data = form_data(client.get(url), form_id="agendaitem_form")
    data["title"] = "New title"
    assert client.post(url, data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.version == 2
    assert meeting.history.latest("history_date").history_change_reason == (
        "Changed agenda item “New title”"
    )


def test_an_item_cannot_be_moved_onto_finalized_notes(client):
    item = AgendaItemFactory(meeting=MeetingFactory(status=Meeting.Status.HELD))
    finalized = MeetingFactory(series=item.series)
    url = reverse("admin:agenda_agendaitem_change", args=[item.pk])
    data = form_data(client.get(url), form_id="agendaitem_form")
    data["meeting"] = str(finalized.pk)
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["meeting"] == [
        "That call's notes are finalized: pick another call."
    ]


def test_declining_here_needs_a_reason(client):
    item = AgendaItemFactory(
        meeting=MeetingFactory(status=Meeting.Status.HELD),
        status=AgendaItem.Status.PROPOSED,
    )
    url = reverse("admin:agenda_agendaitem_change", args=[item.pk])
    data = form_data(client.get(url), form_id="agendaitem_form")
    data["status"] = AgendaItem.Status.DECLINED
    response = client.post(url, data)
    assert response.context["adminform"].form.errors["decline_reason"] == [
        "Give a reason for declining: the proposer sees it."
    ]


def test_closing_an_action_item_here_records_the_latest_call(client):
    now = timezone.now()
    raised = MeetingFactory(start=now - dt.timedelta(weeks=2))
    latest = MeetingFactory(series=raised.series, start=now - dt.timedelta(hours=1))
    MeetingFactory(
        series=raised.series,
        start=now + dt.timedelta(weeks=1),
        status=Meeting.Status.SCHEDULED,
    )
    item = ActionItemFactory(meeting=raised)
    url = reverse("admin:agenda_actionitem_change", args=[item.pk])
    data = form_data(client.get(url), form_id="actionitem_form")
    data["status"] = ActionItem.Status.DONE
    assert client.post(url, data).status_code == 302
    item.refresh_from_db()
    assert item.closed_in == latest
