import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import (
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    UserFactory,
)


@pytest.mark.django_db
def test_finalized_meeting_page_shows_the_notes(client):
    meeting = MeetingFactory(highlights="- shipped **1.0**")
    AttendanceFactory(meeting=meeting, attendee=AttendeeFactory(display_name="Ada Q"))
    AgendaItemFactory(meeting=meeting, title="Roadmap", discussion_notes="We agreed")
    response = client.get(meeting.get_absolute_url())
    html = response.content.decode()
    assert response.status_code == 200
    assert "Ada Q" in html
    assert "<strong>1.0</strong>" in html
    assert "We agreed" in html


@pytest.mark.django_db
def test_held_but_unfinalized_notes_are_hidden_from_the_public(client):
    meeting = MeetingFactory(status="held", highlights="secret draft")
    AgendaItemFactory(meeting=meeting, title="Public title", discussion_notes="draft")
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert "Public title" in html
    assert "secret draft" not in html
    assert "notes are being finalized" in html
    client.force_login(UserFactory(is_staff=True))
    assert "secret draft" in client.get(meeting.get_absolute_url()).content.decode()


@pytest.mark.django_db
def test_unknown_dates_and_series_are_404(client):
    meeting = MeetingFactory()
    series = meeting.series.slug
    assert client.get(f"/calls/{series}/1999-01-01/").status_code == 404
    assert client.get(f"/calls/{series}/2020-02-31/").status_code == 404
    assert client.get("/calls/no-such-series/").status_code == 404


@pytest.mark.django_db
def test_home_shows_the_next_call(client):
    series = MeetingSeriesFactory(title="Widget Call")
    MeetingFactory(
        series=series,
        status="scheduled",
        start=timezone.now() + dt.timedelta(days=3),
    )
    response = client.get("/")
    assert response.status_code == 200
    assert "Widget Call" in response.content.decode()


@pytest.mark.django_db
def test_person_handles_are_case_insensitive(client):
    AttendeeFactory(github_handle="AdaQuill")
    response = client.get("/people/adaquill/")
    assert response.status_code == 301
    assert response["Location"] == "/people/AdaQuill/"
    assert client.get("/people/AdaQuill/").status_code == 200
    assert client.get("/people/nobody/").status_code == 404
