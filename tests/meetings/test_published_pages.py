"""A finalized call's notes are rendered once and stored until a write changes
them (meetings/published.py): every kind of write shows at once."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from agenda.notes.importer import import_notes, sources_from_paths
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

    def bulk_update_item():
        row = AgendaItem.objects.get(pk=item.pk)
        row.title = "Bulk renamed"
        AgendaItem.objects.bulk_update([row], ["title"])

    def upsert_person():
        # An existing row written by bulk_create: not a new person.
        Attendee.objects.bulk_create(
            [Attendee(pk=ada.pk, display_name="Ada Upserted")],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["display_name"],
        )

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
        (bulk_update_item, "Bulk renamed"),
        (upsert_person, "Ada Upserted"),
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


# Many writes at once: one file of an import.


def stored(meeting) -> bool:
    return PublishedPage.objects.filter(meeting=meeting).exclude(body="").exists()


def deletes_of_stored_pages(queries) -> int:
    table = PublishedPage._meta.db_table
    return sum(
        q["sql"].startswith("DELETE") and table in q["sql"]
        for q in queries.captured_queries
    )


@pytest.mark.django_db
def test_writes_forget_their_calls_once_at_the_end_and_again_on_commit(
    client, call, django_capture_on_commit_callbacks
):
    meeting, item = call
    get(client, meeting.get_absolute_url())
    with django_capture_on_commit_callbacks() as callbacks:
        with (
            CaptureQueriesContext(connection) as queries,
            transaction.atomic(),
            published.forget_once(),
        ):
            AgendaItem.objects.filter(pk=item.pk).update(title="Renamed")
            AgendaItemFactory(meeting=meeting, title="Added topic")
            meeting.attendees.add(AttendeeFactory(display_name="Via M2M"))
            meeting.save()
        assert deletes_of_stored_pages(queries) == 1
        assert not stored(meeting)
        # A reader that read the call before the commit stores its render ...
        token = published.claim(meeting)
        assert published.store(meeting, token, description="", body="<p>Old</p>")
    # ... and the delete on commit takes it away.
    assert len(callbacks) == 1
    callbacks[0]()
    assert not PublishedPage.objects.filter(meeting=meeting).exists()
    html = body(get(client, meeting.get_absolute_url())[0])
    assert "Renamed" in html
    assert "Via M2M" in html


@pytest.mark.django_db
def test_writes_before_an_error_caught_in_the_transaction_are_forgotten(
    client, call, django_capture_on_commit_callbacks
):
    meeting, item = call
    get(client, meeting.get_absolute_url())

    def rename_then_fail():
        with published.forget_once():
            AgendaItem.objects.filter(pk=item.pk).update(title="Renamed")
            raise RuntimeError("the file failed")

    # The error is caught inside the transaction, so the rename commits.
    with (
        django_capture_on_commit_callbacks(execute=True),
        transaction.atomic(),
        pytest.raises(RuntimeError, match="the file failed"),
    ):
        rename_then_fail()
    assert not PublishedPage.objects.filter(meeting=meeting).exists()
    assert "Renamed" in body(get(client, meeting.get_absolute_url())[0])


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_every_write_forgets_at_once(client, call):
    meeting, item = call
    get(client, meeting.get_absolute_url())
    with published.forget_once():
        AgendaItem.objects.filter(pk=item.pk).update(title="Renamed")
        assert not PublishedPage.objects.filter(meeting=meeting).exists()
    assert "Renamed" in body(get(client, meeting.get_absolute_url())[0])


@pytest.mark.django_db
def test_a_new_person_is_not_looked_for_in_the_calls(call):
    with CaptureQueriesContext(connection) as queries:
        (new,) = Attendee.objects.bulk_create([Attendee(display_name="New Nell")])
    assert not [q for q in queries.captured_queries if "UNION" in q["sql"]]
    # Once they exist, a write to them is: once, after it (an update of a
    # person cannot change which calls name them).
    for write in (
        lambda: Attendee.objects.filter(pk=new.pk).update(display_name="Nell"),
        lambda: Attendee.objects.bulk_update([new], ["display_name"]),
        new.save,
    ):
        with CaptureQueriesContext(connection) as queries:
            write()
        assert len([q for q in queries.captured_queries if "UNION" in q["sql"]]) == 1


def import_file(folder, name: str, text: str):
    path = folder / name
    path.write_text(text, "utf-8")
    return import_notes(sources=sources_from_paths([path]), series_slug="w")


@pytest.mark.django_db
def test_an_import_leaves_no_stale_stored_notes(
    client, tmp_path, django_capture_on_commit_callbacks
):
    agenda = "### Agenda\n\n- [ann] Release\n    - due on 3rd june\n"
    attendees = "### Attendees\n\n- Ada Lovelace\n- Bo Brown\n\n"
    import_file(tmp_path, "a.md", f"## 2022-06-01\n\n{attendees}{agenda}")
    meeting = Meeting.objects.get()
    url = meeting.get_absolute_url()
    assert "Ada Lovelace" in body(get(client, url)[0])
    assert stored(meeting)

    # Another version of the same call: the call is written again.
    with django_capture_on_commit_callbacks(execute=True):
        report = import_file(
            tmp_path,
            "b.md",
            f"## 2022-06-01\n\n{attendees}{agenda.replace('due', 'expected')}",
        )
    assert report.total_updated == 1
    assert "expected on 3rd june" in body(get(client, url)[0])
    assert stored(meeting)

    # A new call that gives a person of the stored one a GitHub handle: the
    # stored call now links to their page.
    with django_capture_on_commit_callbacks(execute=True):
        report = import_file(
            tmp_path,
            "c.md",
            "## 2022-06-08\n\n### Attendees\n\n"
            "- Ada Lovelace ([@ada-l](https://github.com/ada-l))\n",
        )
    assert report.total_new == 1
    assert Attendee.objects.get(display_name="Ada Lovelace").github_handle == "ada-l"
    person_url = reverse("people:detail", kwargs={"handle": "ada-l"})
    assert f'href="{person_url}"' in body(get(client, url)[0])
