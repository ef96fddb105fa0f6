import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    ReleaseTeamFactory,
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


# --- The rebuilt public pages -------------------------------------------------

NOW = timezone.now().replace(microsecond=0)


def body(response):
    return response.content.decode()


@pytest.fixture
def series():
    return MeetingSeriesFactory(
        slug="community", title="Widget Call", github_repo="example/widget"
    )


@pytest.mark.django_db
def test_home_shows_each_series_next_call_with_its_agenda_and_bookings(client, series):
    mc = AttendeeFactory(display_name="Dana Ruiz", github_handle="danaruiz")
    MeetingFactory(series=series, status="scheduled", start=NOW + dt.timedelta(days=14))
    coming = MeetingFactory(
        series=series,
        status="scheduled",
        start=NOW + dt.timedelta(days=2),
        mc=mc,
        length_minutes=30,
    )
    AgendaItemFactory(
        meeting=coming,
        title="Proposed thing",
        status="proposed",
        requested_minutes=15,
        position=0,
    )
    AgendaItemFactory(
        meeting=coming,
        title="Accepted thing",
        status="accepted",
        requested_minutes=20,
        position=5,
    )
    AgendaItemFactory(meeting=coming, title="Declined thing", status="declined")
    other = MeetingSeriesFactory(slug="docs", title="Docs Call")
    MeetingFactory(series=other, status="scheduled", start=NOW + dt.timedelta(days=5))
    past = MeetingFactory(series=series, start=NOW - dt.timedelta(days=5))
    action = ActionItemFactory(meeting=past, description="Ann to write docs")
    action.owners.add(mc)
    ActionItemFactory(meeting=past, description="Already done", status="done")
    MeetingFactory(series=series, status="held", start=NOW - dt.timedelta(days=1))

    html = body(client.get("/"))
    assert html.index("Widget Call") < html.index("Docs Call")
    assert coming.get_absolute_url() in html
    assert f'<time datetime="{coming.start.isoformat()}" data-local>' in html
    assert coming.start.strftime("%H:%M") + " UTC" in html
    assert 'href="https://meet.example.org/call"' in html
    assert 'MC: <a href="/people/danaruiz/">Dana Ruiz</a>' in html
    assert html.index("Accepted thing") < html.index("Proposed thing")
    proposed = html[html.index("Proposed thing") :]
    assert 'badge-proposed">proposed' in proposed[:120]
    assert "Declined thing" not in html
    assert "35 of 30 minutes requested" in html
    assert "(20 accepted, the rest proposed)" in html
    assert "Over-booked by 5 minutes." in html
    assert "Ann to write docs" in html
    assert "Already done" not in html
    assert past.get_absolute_url() in html  # latest finalized notes
    assert f"/calls/community/{coming.date_key}/propose/" in html


@pytest.mark.django_db
def test_home_says_plainly_when_nothing_is_scheduled(client):
    html = body(client.get("/"))
    assert "No call is scheduled yet." in html
    assert "No notes are finalized yet." in html
    assert "<title>Next calls · Callbook</title>" in html


@pytest.mark.django_db
def test_archive_lists_finalized_calls_newest_first_by_year(client, series):
    newer = MeetingFactory(
        series=series, start=dt.datetime(2024, 3, 6, 16, tzinfo=dt.UTC)
    )
    older = MeetingFactory(
        series=series, start=dt.datetime(2023, 5, 3, 16, tzinfo=dt.UTC)
    )
    AttendanceFactory(meeting=newer)
    AttendanceFactory(meeting=newer)
    AgendaItemFactory(meeting=newer)
    draft = MeetingFactory(series=series, status="held", start=NOW)
    html = body(client.get("/calls/"))
    assert html.index("2024-03-06") < html.index("2023-05-03")
    assert '<h2 id="year-2024">2024</h2>' in html
    assert '<h2 id="year-2023">2023</h2>' in html
    assert draft.date_key not in html
    row = html[html.index("2024-03-06") : html.index("</tr>", html.index("2024-03-06"))]
    assert '<td class="num">2</td>' in row
    assert '<td class="num">1</td>' in row
    assert older.mc.display_name in html


@pytest.mark.django_db
def test_archive_filters_by_series_and_year(client, series):
    mine = MeetingFactory(
        series=series, start=dt.datetime(2024, 3, 6, 16, tzinfo=dt.UTC)
    )
    other = MeetingFactory(start=dt.datetime(2024, 4, 6, 16, tzinfo=dt.UTC))
    old = MeetingFactory(
        series=series, start=dt.datetime(2022, 1, 5, 16, tzinfo=dt.UTC)
    )
    html = body(client.get("/calls/?series=community"))
    assert mine.get_absolute_url() in html
    assert old.get_absolute_url() in html
    assert other.get_absolute_url() not in html
    html = body(client.get("/calls/?series=community&year=2022"))
    assert old.get_absolute_url() in html
    assert mine.get_absolute_url() not in html
    # The year facet: the series' years, each link keeping the series filter.
    assert '<a href="?series=community&amp;year=2024">2024</a>' in html
    assert '<a href="?series=community&amp;year=2022">2022</a>' in html
    assert '<option value="2022" selected>2022</option>' in html
    assert '<option value="community" selected>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=-1",
        "page=99999",
        "page=1e9",
        "series=unknown",
        "series=%00",
        "year=abc",
        "year=99999999999999999999",
        "series[]=x&year=",
        "q=" + "x" * 10_000,
    ],
)
def test_bad_query_strings_never_make_an_error(client, series, query):
    MeetingFactory(series=series)
    for path in ("/calls/", "/calls/community/", "/people/", "/releases/", "/search/"):
        assert client.get(f"{path}?{query}").status_code == 200, path
    assert client.get(f"/refs/a/b/1/?{query}").status_code == 200


@pytest.mark.django_db
def test_archive_paginates_and_keeps_the_filter_in_page_links(client, series):
    calls = [
        MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=weeks + 1))
        for weeks in range(55)
    ]
    html = body(client.get("/calls/?series=community&page=abc"))
    last_on_first = calls[49]
    assert f'href="?series=community&amp;older={last_on_first.pk}"' in html
    assert "Newer calls" not in html
    assert 'rel="canonical" href="http://testserver/calls/"' in html
    html = body(client.get(f"/calls/?series=community&older={last_on_first.pk}"))
    assert f'href="?series=community&amp;newer={calls[50].pk}"' in html
    assert "Older calls" not in html
    assert (
        f'rel="canonical" href="http://testserver/calls/?older={last_on_first.pk}"'
        in html
    )
    assert html.count('<td><a href="/calls/community/') == 5


@pytest.mark.django_db
def test_series_page_shows_schedule_coming_and_past_calls(client, series):
    coming = MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=3)
    )
    past = MeetingFactory(series=series)
    html = body(client.get("/calls/community/"))
    assert "<title>Widget Call · Callbook</title>" in html
    assert coming.get_absolute_url() in html
    assert past.get_absolute_url() in html
    assert 'href="/calls/community.ics"' in html


@pytest.fixture
def full_meeting(series):
    ada = AttendeeFactory(display_name="Ada Quill", github_handle="AdaQuill")
    bo = AttendeeFactory(display_name="Bo Offline", github_handle="")
    meeting = MeetingFactory(
        series=series,
        start=dt.datetime(2024, 3, 6, 16, tzinfo=dt.UTC),
        mc=ada,
        next_mc=ada,
        highlights="- The **2.0** release is out",
        notes="Free notes, see #9",
        next_release="lead Ada on 17 Sept",
    )
    AttendanceFactory(meeting=meeting, attendee=ada, position=0)
    AttendanceFactory(meeting=meeting, attendee=bo, position=1, first_time=True)
    item = AgendaItemFactory(
        meeting=meeting,
        title="Plugin API",
        presenter_names="Ada",
        discussion_notes="- agreed on *v2*",
        links="https://example.org/slides\njavascript:alert(1)",
    )
    item.presenters.add(ada)
    action = ActionItemFactory(meeting=meeting, description="Ada to write the RFC")
    action.owners.add(ada)
    ActionItemFactory(meeting=meeting, description="Bot guess", status="suggested")
    team = ReleaseTeamFactory(version="2.1.0", lead=ada, meeting=meeting)
    team.members.add(bo)
    return meeting


@pytest.mark.django_db
def test_meeting_page_is_laid_out_like_the_notes(client, full_meeting):
    html = body(client.get("/calls/community/2024-03-06/"))
    assert "<title>Widget Call, 2024-03-06 · Callbook</title>" in html
    sections = [
        "MC",
        "Who joined",
        "This week highlights",
        "Agenda",
        "Notes",
        "Action items",
        "Release team",
        "Closing",
    ]
    positions = [html.index(f"<h3>{name}</h3>") for name in sections]
    assert positions == sorted(positions)
    assert 'href="https://video.example.org' not in html
    assert "Recording: pending" in html
    assert (
        '<a href="/people/AdaQuill/">Ada Quill</a> (<a href="https://github.com/AdaQuill">@AdaQuill</a>)'
        in html
    )
    assert "<li>Bo Offline" in html
    assert "first call" in html
    assert "<strong>2.0</strong>" in html
    assert 'href="https://github.com/example/widget/issues/9"' in html
    assert "<em>v2</em>" in html
    assert 'Presented by <a href="/people/AdaQuill/">Ada Quill</a>' in html
    assert 'href="https://example.org/slides"' in html
    assert "javascript:alert" not in html
    assert "Ada to write the RFC" in html
    assert "Bot guess" not in html
    assert "2.1.0" in html
    assert "lead Ada on 17 Sept" in html


@pytest.mark.django_db
def test_meeting_page_has_permalinks_open_graph_and_prev_next(client, full_meeting):
    before = MeetingFactory(
        series=full_meeting.series, start=full_meeting.start - dt.timedelta(weeks=1)
    )
    after = MeetingFactory(
        series=full_meeting.series, start=full_meeting.start + dt.timedelta(weeks=1)
    )
    MeetingFactory(start=full_meeting.start + dt.timedelta(days=1))  # other series
    html = body(client.get(full_meeting.get_absolute_url()))
    url = "http://testserver/calls/community/2024-03-06/"
    assert f'<link rel="canonical" href="{url}">' in html
    assert f'<meta property="og:url" content="{url}">' in html
    assert '<meta property="og:title" content="Widget Call, 2024-03-06">' in html
    assert '<meta property="og:description" content="The 2.0 release is out">' in html
    assert f'rel="prev" href="{before.get_absolute_url()}"' in html
    assert f'rel="next" href="{after.get_absolute_url()}"' in html


@pytest.mark.django_db
def test_second_call_on_a_date_has_its_own_permalink(client, series):
    start = dt.datetime(2024, 3, 6, 10, tzinfo=dt.UTC)
    first = MeetingFactory(series=series, start=start, title="Morning")
    second = MeetingFactory(
        series=series, start=start + dt.timedelta(hours=6), ordinal=2, title="Evening"
    )
    assert second.get_absolute_url() == "/calls/community/2024-03-06-2/"
    assert "Evening" in body(client.get("/calls/community/2024-03-06-2/"))
    assert "Morning" in body(client.get(first.get_absolute_url()))
    assert client.get("/calls/community/2024-03-06-3/").status_code == 404
    assert client.get("/calls/community/2024-03-06-1/").status_code == 404


@pytest.mark.django_db
def test_coming_call_page_shows_the_public_agenda_and_no_notes(client, series):
    coming = MeetingFactory(
        series=series,
        status="scheduled",
        start=NOW + dt.timedelta(days=1),
        highlights="not yet",
    )
    AgendaItemFactory(
        meeting=coming, title="Idea", status="proposed", description="Why **now**"
    )
    html = body(client.get(coming.get_absolute_url()))
    assert "Idea" in html
    assert "<strong>now</strong>" in html
    assert 'badge-proposed">proposed' in html
    assert "Propose an agenda item" in html
    assert "not yet" not in html
    assert "notes are being finalized" not in html
    assert "Recording: pending" not in html


@pytest.mark.django_db
def test_draft_notes_show_a_staff_banner_and_are_not_indexed(client, series):
    meeting = MeetingFactory(series=series, status="held", highlights="draft words")
    client.force_login(UserFactory(is_staff=True))
    html = body(client.get(meeting.get_absolute_url()))
    assert "draft words" in html
    assert "only staff can see them" in html
    assert '<meta name="robots" content="noindex">' in html


@pytest.mark.django_db
def test_inactive_staff_do_not_see_drafts(client, series):
    meeting = MeetingFactory(series=series, status="held", highlights="draft words")
    client.force_login(UserFactory(is_staff=True, is_active=False))
    assert "draft words" not in body(client.get(meeting.get_absolute_url()))


@pytest.mark.django_db
def test_releases_are_listed_by_version_with_their_team(client, series):
    lead = AttendeeFactory(display_name="Eli Novak", github_handle="elinovak")
    helper = AttendeeFactory(display_name="Dana Ruiz", github_handle="danaruiz")
    formed = MeetingFactory(series=series)
    team = ReleaseTeamFactory(
        version="1.10.0",
        lead=lead,
        meeting=formed,
        planned_date=dt.date(2024, 5, 1),
        released_on=dt.date(2024, 5, 3),
    )
    team.members.add(helper)
    ReleaseTeamFactory(version="1.9.0", lead=None, meeting=None)
    html = body(client.get("/releases/"))
    assert html.index("1.10.0") < html.index("1.9.0")
    assert '<a href="/people/elinovak/">Eli Novak</a>' in html
    assert '<a href="/people/danaruiz/">Dana Ruiz</a>' in html
    assert "1 May 2024" in html
    assert "3 May 2024" in html
    assert formed.get_absolute_url() in html
    assert 'id="release-1.10.0"' in html


@pytest.mark.django_db
def test_search_finds_finalized_notes_and_agenda_items_only(client, series):
    by_highlight = MeetingFactory(series=series, highlights="We adopted the zebra plan")
    by_item = MeetingFactory(series=series)
    AgendaItemFactory(meeting=by_item, title="Zebra crossing", discussion_notes="ok")
    draft = MeetingFactory(series=series, status="held", highlights="zebra draft")
    MeetingFactory(series=series, highlights="nothing to see")
    html = body(client.get("/search/?q=zebra"))
    assert "2 calls found" in html
    assert by_highlight.get_absolute_url() in html
    assert by_item.get_absolute_url() in html
    assert draft.get_absolute_url() not in html
    assert "<mark>zebra</mark>" in html.lower()


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["declined", "deferred", "proposed"])
def test_search_never_shows_agenda_items_outside_the_notes(client, series, status):
    # Declined proposals are hidden on the call page and in the download; search
    # (results and snippets, on both databases) must not reveal them either.
    meeting = MeetingFactory(series=series, highlights="The zebra plan went ahead")
    AgendaItemFactory(
        meeting=meeting,
        status=status,
        title="Quokka sanctuary",
        description="zebra quokka private pitch",
        discussion_notes="quokka",
    )
    AgendaItemFactory(meeting=meeting, title="Zebra crossing")
    meeting.refresh_from_db()
    assert "quokka" not in meeting.search_document.lower()
    assert "calls found" in body(client.get("/search/?q=quokka"))
    assert "0 calls found" in body(client.get("/search/?q=quokka"))
    html = body(client.get("/search/?q=zebra"))
    assert "1 call found" in html
    assert "quokka" not in html.lower()
    assert "private pitch" not in html


@pytest.mark.django_db
def test_declining_a_proposal_takes_it_out_of_search(client, series):
    from agenda.models import AgendaItem

    meeting = MeetingFactory(series=series, highlights="A quiet call")
    item = AgendaItemFactory(meeting=meeting, title="Quokka sanctuary")
    assert "1 call found" in body(client.get("/search/?q=quokka"))
    item.status = AgendaItem.Status.DECLINED
    item.save()
    assert "0 calls found" in body(client.get("/search/?q=quokka"))


@pytest.mark.django_db
def test_search_snippets_are_escaped(client, series):
    MeetingFactory(series=series, highlights="<script>alert('zebra')</script> zebra")
    html = body(client.get("/search/?q=zebra"))
    assert "<script>alert" not in html
    assert "<mark>zebra</mark>" in html


def test_snippets_escape_text_and_mark_only_matches():
    from meetings.markdown import HEADLINE_START, HEADLINE_STOP, highlight_snippet

    from_database = f"<b>x</b> {HEADLINE_START}zebra{HEADLINE_STOP} & {HEADLINE_STOP}"
    assert highlight_snippet(from_database) == (
        "&lt;b&gt;x&lt;/b&gt; <mark>zebra</mark> &amp; "
    )
    assert highlight_snippet("<i>Zebra</i>", ["zebra", ""]) == (
        "&lt;i&gt;<mark>Zebra</mark>&lt;/i&gt;"
    )
    assert highlight_snippet("<i>", []) == "&lt;i&gt;"


@pytest.mark.django_db
def test_search_handles_empty_huge_and_odd_queries(client, series):
    MeetingFactory(series=series, highlights="zebra")
    assert "calls found" not in body(client.get("/search/?q="))
    html = body(client.get("/search/?q=" + "zebra " * 100))
    assert "Ensure this value has at most 200 characters" in html
    for odd in ["'", '"', "!", "&", "|", "zebra:*", "(", "-", "%", "\\"]:
        assert client.get("/search/", {"q": odd}).status_code == 200, odd


@pytest.mark.django_db
def test_search_queryset_ranks_and_ignores_drafts(series):
    from meetings.models import Meeting

    title_hit = MeetingFactory(series=series, title="Zebra summit")
    notes_hit = MeetingFactory(series=series, notes="one zebra")
    MeetingFactory(series=series, status="scheduled", title="Zebra later")
    found = list(Meeting.objects.search("zebra"))
    assert set(found) == {title_hit, notes_hit}
    assert Meeting.objects.search("   ").count() == 0
    assert hasattr(found[0], "headline")
    assert hasattr(found[0], "rank")
    if connection.vendor == "postgresql":
        # Ranked: a title match outweighs one in the free notes; stemmed too.
        assert found == [title_hit, notes_hit]
        assert found[0].rank > found[1].rank
        assert "\x02zebra\x03" in found[1].headline
        assert list(Meeting.objects.search("zebras")) == found
        # Web-search syntax: a phrase and an exclusion.
        assert list(Meeting.objects.search('"one zebra"')) == [notes_hit]
        assert list(Meeting.objects.search("zebra -summit")) == [notes_hit]


@pytest.mark.django_db
def test_unknown_pages_use_the_404_template(client):
    response = client.get("/calls/nope/2024-01-01/")
    assert response.status_code == 404
    assert "There is no page at this address." in body(response)
    assert client.get("/calls/nope.ics").status_code == 404
    assert client.get("/refs/a/b/x/").status_code == 404
    assert client.get("/refs/a%00/b/1/").status_code == 404
    assert client.get("/refs/a/b%20c/1/").status_code == 404


@pytest.mark.django_db
def test_nul_bytes_anywhere_are_refused_without_an_error(client, series):
    # PostgreSQL rejects NUL in a string; none may reach a query.
    assert client.get("/search/?q=a%00b").status_code == 200
    assert client.get("/calls/?series=a%00&year=%00").status_code == 200
    assert client.get("/people/a%00b/").status_code == 404


@pytest.mark.django_db
def test_series_page_keeps_a_past_call_still_marked_scheduled(client, series):
    overdue = MeetingFactory(
        series=series, status="scheduled", start=NOW - dt.timedelta(days=1)
    )
    html = body(client.get("/calls/community/"))
    past = html[html.index("<h2>Past calls</h2>") :]
    assert overdue.get_absolute_url() in past
    assert "notes pending" in past


@pytest.mark.django_db
def test_coming_call_lists_open_action_items_of_earlier_calls(client, series):
    earlier = MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=1))
    coming = MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=1)
    )
    owner = AttendeeFactory(display_name="Ann Owner")
    still_open = ActionItemFactory(meeting=earlier, description="Ann to write docs")
    still_open.owners.add(owner)
    ActionItemFactory(meeting=earlier, description="Already done", status="done")
    ActionItemFactory(description="Other series item")
    html = body(client.get(coming.get_absolute_url()))
    assert "Open action items" in html
    assert "Ann to write docs" in html
    assert "Ann Owner" in html
    assert f"#action-{still_open.pk}" in html
    assert "Already done" not in html
    assert "Other series item" not in html
    # A finalized page lists its own action items, not the carried-over ones.
    assert (
        "Ann to write docs"
        not in body(client.get(earlier.get_absolute_url()))[
            : body(client.get(earlier.get_absolute_url())).find("<h3>Action items</h3>")
        ]
    )


@pytest.mark.django_db
def test_check_in_link_shows_only_while_the_call_is_on(client, series):
    on_now = MeetingFactory(
        series=series, status="scheduled", start=NOW - dt.timedelta(minutes=10)
    )
    later = MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=1)
    )
    checkin = f"{on_now.get_absolute_url()}checkin/"
    assert checkin in body(client.get(on_now.get_absolute_url()))
    assert "checkin/" not in body(client.get(later.get_absolute_url()))


@pytest.mark.django_db
def test_finalized_page_links_its_markdown_download(client, series):
    meeting = MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=1))
    draft = MeetingFactory(
        series=series, status="held", start=NOW - dt.timedelta(days=1)
    )
    link = f'href="/calls/community/{meeting.date_key}.md"'
    assert link in body(client.get(meeting.get_absolute_url()))
    assert ".md" not in body(client.get(draft.get_absolute_url()))
    assert client.get(f"/calls/community/{meeting.date_key}.md").status_code == 200


@pytest.mark.django_db
def test_home_lists_the_first_open_action_items_and_counts_the_rest(client, series):
    from meetings.views import HOME_ACTIONS_PER_SERIES

    past = MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=1))
    MeetingFactory(series=series, status="scheduled", start=NOW + dt.timedelta(days=1))
    soon = ActionItemFactory(meeting=past, description="Due first", due_date=NOW.date())
    for number in range(HOME_ACTIONS_PER_SERIES + 2):
        ActionItemFactory(meeting=past, description=f"Undated {number}")
    html = body(client.get("/"))
    assert html.index(soon.description) < html.index("Undated 0")
    assert html.count("Undated ") == HOME_ACTIONS_PER_SERIES - 1
    assert '<a href="/actions/">3 more open action items</a>' in html


@pytest.mark.django_db
def test_home_ranks_and_counts_open_action_items_per_series(client, series):
    from meetings.views import HOME_ACTIONS_PER_SERIES

    other = MeetingSeriesFactory(slug="other", title="Other calls")
    ann = AttendeeFactory(display_name="Ann Owner", github_handle="annowner")
    for one, prefix, extra in ((series, "Community", 4), (other, "Other", 0)):
        older = MeetingFactory(series=one, start=NOW - dt.timedelta(weeks=2))
        newer = MeetingFactory(series=one, start=NOW - dt.timedelta(weeks=1))
        MeetingFactory(series=one, status="scheduled", start=NOW + dt.timedelta(days=1))
        # The newer call's items come after every item of the older call.
        for n in range(HOME_ACTIONS_PER_SERIES + extra):
            ActionItemFactory(
                meeting=newer if n % 2 else older,
                description=f"{prefix} item {n:02d}",
                position=n,
            )
        ActionItemFactory(meeting=older, description=f"{prefix} done", status="done")
    # Not counted: raised at a call whose notes are not finalized.
    held = MeetingFactory(
        series=series, status="held", start=NOW - dt.timedelta(days=1)
    )
    ActionItemFactory(meeting=held, description="Community unfinished")
    owned = ActionItemFactory(
        meeting=MeetingFactory(series=other, start=NOW - dt.timedelta(weeks=3)),
        description="Other owned",
    )
    owned.owners.add(ann)
    html = body(client.get("/"))
    sections = html.split('<section class="next-call"')[1:]
    (community,) = [one for one in sections if "Widget Call</a></h2>" in one]
    (rest,) = [one for one in sections if "Other calls</a></h2>" in one]
    shown = [n for n in range(14) if f"Community item {n:02d}" in community]
    evens, odds = list(range(0, 14, 2)), list(range(1, 14, 2))
    assert shown == sorted((evens + odds)[:HOME_ACTIONS_PER_SERIES])
    assert community.index("Community item 12") < community.index("Community item 01")
    assert '<a href="/actions/">4 more open action items</a>' in community
    assert "Community done" not in community
    assert "unfinished" not in html
    # The other series: its oldest call's item first, with its owner linked, and
    # one item past the first ten.
    assert rest.index("Other owned") < rest.index("Other item 00")
    assert '<a href="/people/annowner/">Ann Owner</a>' in rest
    assert "Other item 09" not in rest
    assert '<a href="/actions/">1 more open action item</a>' in rest


@pytest.mark.django_db
def test_home_open_action_items_are_one_query_however_many(client, series):
    from django.test.utils import CaptureQueriesContext

    past = MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=1))
    MeetingFactory(series=series, status="scheduled", start=NOW + dt.timedelta(days=1))
    ActionItemFactory(meeting=past)

    def actions_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/").status_code == 200
        return [q["sql"] for q in queries if "agenda_actionitem" in q["sql"]]

    few = actions_queries()
    for weeks in range(2, 30):
        earlier = MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=weeks))
        ActionItemFactory(meeting=earlier)
        ActionItemFactory(meeting=earlier, status="done")
    many = actions_queries()
    # The ranked items with their series' count, then their owners.
    assert len(few) == len(many) == 2


@pytest.mark.django_db
def test_coming_call_lists_only_the_latest_open_action_items(client, series):
    from meetings.views import CARRIED_OVER_SHOWN

    coming = MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=1)
    )
    # One open item per earlier call, the oldest first: two more than are shown.
    for n in range(CARRIED_OVER_SHOWN + 2):
        earlier = MeetingFactory(
            series=series, start=NOW - dt.timedelta(weeks=CARRIED_OVER_SHOWN + 2 - n)
        )
        ActionItemFactory(meeting=earlier, description=f"Open item {n:02d}")
    html = body(client.get(coming.get_absolute_url()))
    shown = [n for n in range(CARRIED_OVER_SHOWN + 2) if f"Open item {n:02d}" in html]
    assert shown == list(range(2, CARRIED_OVER_SHOWN + 2))
    assert html.index("Open item 02") < html.index(f"Open item {CARRIED_OVER_SHOWN}")
    assert f"These are the latest {CARRIED_OVER_SHOWN}" in html
    assert '<a href="/actions/">all open action items</a>' in html


@pytest.mark.django_db
def test_coming_call_with_few_open_action_items_lists_them_all(client, series):
    from meetings.views import CARRIED_OVER_SHOWN

    coming = MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=1)
    )
    earlier = MeetingFactory(series=series, start=NOW - dt.timedelta(weeks=1))
    for n in range(CARRIED_OVER_SHOWN):
        ActionItemFactory(meeting=earlier, description=f"Open item {n:02d}")
    html = body(client.get(coming.get_absolute_url()))
    assert all(f"Open item {n:02d}" in html for n in range(CARRIED_OVER_SHOWN))
    assert "all open action items" not in html
