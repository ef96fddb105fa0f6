"""A finalized call's notes are rendered once and stored until a write changes
them (meetings/published.py): every kind of write shows at once."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings import published
from meetings.models import Meeting, PublishedPage
from meetings.views import publish_notes
from people.models import Attendee
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    ReleaseTeamFactory,
)


@pytest.fixture(autouse=True)
def no_caches(settings):
    # Stored notes are what is left when every cache is off.
    settings.PAGE_CACHE = False
    settings.CLOCK_CACHE_SECONDS = 0
    settings.PUBLISHED_PAGES = True


def get(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode(), len(queries)


def body(html: str) -> str:
    return html[html.index('<article class="meeting">') : html.index("</article>")]


@pytest.fixture
def call():
    meeting = MeetingFactory(highlights="Shipped **1.0**")
    item = AgendaItemFactory(meeting=meeting, title="Plugin API")
    AttendanceFactory(meeting=meeting, attendee=AttendeeFactory(display_name="Ada"))
    ActionItemFactory(meeting=meeting, description="Bo to write the docs")
    return meeting, item


@pytest.mark.django_db
def test_a_finalized_call_is_rendered_once_then_served_from_one_query(client, call):
    meeting, _item = call
    url = meeting.get_absolute_url()
    first, rendering = get(client, url)
    stored = PublishedPage.objects.get(meeting=meeting)
    assert stored.version == published.code_version()
    assert "Plugin API" in stored.body
    again, queries = get(client, url)
    assert queries == 1
    assert again == first
    # Exactly what a render from scratch shows.
    from django.conf import settings

    settings.PUBLISHED_PAGES = False
    scratch, scratch_queries = get(client, url)
    assert scratch == first
    assert rendering > scratch_queries > queries


@pytest.mark.django_db
def test_the_links_around_a_call_are_not_stored(client, call):
    meeting, _item = call
    url = meeting.get_absolute_url()
    assert "Next call:" not in get(client, url)[0]
    later = MeetingFactory(
        series=meeting.series, start=meeting.start + dt.timedelta(weeks=1)
    )
    assert f'href="{later.get_absolute_url()}"' in get(client, url)[0]


def edits(meeting, item):
    """(what it does, what the page then shows) for every kind of write."""
    ada = Attendee.objects.get(display_name="Ada")
    other = MeetingFactory(series=meeting.series)

    def move_action():
        action = ActionItem.objects.get(meeting=meeting)  # as the admin loads it
        action.meeting = other
        action.save()

    def reverse_presenter():
        ada.presented_items.add(item)

    def release_team():
        team = ReleaseTeamFactory(meeting=meeting, version="9.9.9")
        team.members.add(AttendeeFactory(display_name="Helper Hal"))

    return [
        (lambda: Meeting.objects.get(pk=meeting.pk).save(), None),
        (
            lambda: setattr(meeting, "highlights", "New highlights") or meeting.save(),
            "New highlights",
        ),
        (
            lambda: AgendaItem.objects.filter(pk=item.pk).update(title="Renamed"),
            "Renamed",
        ),
        (
            lambda: AgendaItemFactory(meeting=meeting, title="Added topic"),
            "Added topic",
        ),
        (
            lambda: AgendaItem.objects.bulk_create(
                [AgendaItem(meeting=meeting, series=meeting.series, title="Bulk one")]
            ),
            "Bulk one",
        ),
        (
            lambda: item.presenters.add(AttendeeFactory(display_name="Presenter Pat")),
            "Presenter Pat",
        ),
        (reverse_presenter, "Presented by <a"),
        (
            lambda: ActionItem.objects.filter(meeting=meeting).update(status="done"),
            ">done<",
        ),
        (
            lambda: ActionItem.objects.get(meeting=meeting).owners.add(
                AttendeeFactory(display_name="Owner Olu")
            ),
            "Owner Olu",
        ),
        (
            lambda: AttendanceFactory(
                meeting=meeting, attendee=AttendeeFactory(display_name="Late Lee")
            ),
            "Late Lee",
        ),
        (
            lambda: setattr(ada, "display_name", "Ada Lovelace") or ada.save(),
            "Ada Lovelace",
        ),
        (
            lambda: Attendee.objects.filter(pk=ada.pk).update(display_name="Ada L."),
            "Ada L.",
        ),
        (
            lambda: (
                setattr(meeting.series, "title", "Another series name")
                or meeting.series.save()
            ),
            "Another series name",
        ),
        (release_team, "Helper Hal"),
        (
            lambda: meeting.attendees.add(AttendeeFactory(display_name="Via M2M")),
            "Via M2M",
        ),
        (move_action, "!Bo to write the docs"),
    ]


@pytest.mark.django_db
def test_every_kind_of_write_shows_at_once(client, call):
    meeting, item = call
    url = meeting.get_absolute_url()
    for change, shown in edits(meeting, item):
        get(client, url)
        assert PublishedPage.objects.filter(meeting=meeting).exclude(body="").exists()
        change()
        assert not PublishedPage.objects.filter(meeting=meeting).exists(), shown
        html = get(client, url)[0]
        if shown and shown.startswith("!"):
            assert shown[1:] not in body(html)
        elif shown:
            assert shown in body(html)


@pytest.mark.django_db
def test_a_deleted_call_is_a_404(client, call):
    meeting, _item = call
    url = meeting.get_absolute_url()
    get(client, url)
    Meeting.objects.filter(pk=meeting.pk).delete()
    assert client.get(url).status_code == 404
    assert not PublishedPage.objects.exists()


@pytest.mark.django_db
def test_a_render_of_data_older_than_a_write_is_not_stored(call):
    meeting, item = call
    token = published.claim(meeting)
    assert token
    # A write lands after the reader claimed the row and read the call ...
    AgendaItem.objects.filter(pk=item.pk).update(title="Newer")
    # ... so its render of the older data is served but not kept.
    assert not published.store(meeting, token, description="", body="old")
    assert not PublishedPage.objects.filter(meeting=meeting).exists()
    # A second reader cannot store under a row someone else claimed.
    assert published.claim(meeting)
    assert published.claim(meeting) is None


@pytest.mark.django_db
def test_new_code_renders_the_notes_again(client, call, monkeypatch):
    meeting, _item = call
    url = meeting.get_absolute_url()
    get(client, url)
    PublishedPage.objects.filter(meeting=meeting).update(body="<p>Old code</p>")
    assert "Old code" in get(client, url)[0]
    monkeypatch.setattr(published, "code_version", lambda: "a-new-deploy")
    assert "Old code" not in get(client, url)[0]
    assert PublishedPage.objects.get(meeting=meeting).version == "a-new-deploy"


@pytest.mark.django_db
def test_only_finalized_calls_that_started_are_stored(client):
    soon = timezone.now() + dt.timedelta(days=1)
    for meeting in (
        MeetingFactory(status="scheduled", start=soon),
        MeetingFactory(status="held"),
        MeetingFactory(status="finalized", start=soon),
    ):
        get(client, meeting.get_absolute_url())
    assert not PublishedPage.objects.exists()


@pytest.mark.django_db
def test_stored_notes_stay_sanitized(client):
    meeting = MeetingFactory(highlights="**kept**\n\n<script>alert(1)</script>")
    for _ in range(2):
        html = get(client, meeting.get_absolute_url())[0]
        assert "<script>alert" not in html
        assert "<strong>kept</strong>" in html


@pytest.mark.django_db
def test_render_markdown_stores_the_notes_of_finalized_calls(client, call):
    meeting, _item = call
    MeetingFactory(status="scheduled", start=timezone.now() + dt.timedelta(days=1))
    out = io.StringIO()
    call_command("render_markdown", stdout=out)
    assert "Stored the notes of 1 finalized call." in out.getvalue()
    assert get(client, meeting.get_absolute_url())[1] == 1
    out = io.StringIO()
    call_command("render_markdown", stdout=out)
    assert "Stored the notes of 0 finalized calls." in out.getvalue()


@pytest.mark.django_db
def test_turned_off_nothing_is_stored(client, call, settings):
    settings.PUBLISHED_PAGES = False
    meeting, _item = call
    get(client, meeting.get_absolute_url())
    assert not PublishedPage.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("stored", [True, False])
def test_the_calls_around_one_follow_start_then_ordinal(client, settings, stored):
    settings.PUBLISHED_PAGES = stored
    first = MeetingFactory()
    same_start = [
        MeetingFactory(
            series=first.series, start=first.start + dt.timedelta(weeks=1), ordinal=n
        )
        for n in (1, 2, 3)
    ]
    last = MeetingFactory(
        series=first.series, start=first.start + dt.timedelta(weeks=2)
    )
    calls = [first, *same_start, last]
    for before, call, after in zip(calls, calls[1:], calls[2:], strict=False):
        for _ in range(2):  # rendered, then stored
            html = get(client, call.get_absolute_url())[0]
            assert f'rel="prev" href="{before.get_absolute_url()}"' in html
            assert f'rel="next" href="{after.get_absolute_url()}"' in html


@pytest.mark.django_db
def test_render_markdown_renders_only_what_is_missing_or_stale(call, monkeypatch):
    meeting, _item = call
    other = MeetingFactory()
    assert publish_notes(Meeting.objects.all()) == 2
    # Current notes are left out by the query, without reading them.
    with CaptureQueriesContext(connection) as queries:
        assert publish_notes(Meeting.objects.all()) == 0
    assert len(queries) == 1
    PublishedPage.objects.filter(meeting=other).update(version="older code")
    assert publish_notes(Meeting.objects.all()) == 1
    assert "Plugin API" in PublishedPage.objects.get(meeting=meeting).body
    assert PublishedPage.objects.get(meeting=other).version == published.code_version()
