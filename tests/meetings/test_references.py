import datetime as dt
import re

import pytest

from meetings.markdown import github_references, render_markdown
from meetings.models import GitHubReference
from tests.factories import (
    AgendaItemFactory,
    GitHubReferenceFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)


def links(html):
    import re

    return re.findall(r'<a href="([^"]+)"[^>]*>([^<]*)</a>', str(html))


def test_cross_repo_reference_links_to_the_issue():
    assert links(render_markdown("see falcosecurity/falco#3000.")) == [
        (
            "https://github.com/falcosecurity/falco/issues/3000",
            "falcosecurity/falco#3000",
        )
    ]


def test_short_reference_uses_the_default_repo_only_when_given():
    assert links(render_markdown("fixes #12", "example/widget")) == [
        ("https://github.com/example/widget/issues/12", "#12")
    ]
    assert links(render_markdown("fixes #12")) == []
    # A malformed default repository is ignored rather than put in an href.
    assert links(render_markdown("fixes #12", 'x"/><script>')) == []


def test_full_issue_and_pull_request_urls_become_short_links():
    html = render_markdown(
        "https://github.com/a/b/pull/7 and https://github.com/a/b/issues/8#issuecomment-9"
    )
    assert links(html) == [
        ("https://github.com/a/b/pull/7", "a/b#7"),
        ("https://github.com/a/b/issues/8#issuecomment-9", "a/b#8"),
    ]


def test_handles_link_to_github_profiles_and_emails_to_mail():
    # GFM links a bare e-mail address; its "@" is never taken for a handle.
    html = render_markdown("thanks @ada-q and write to ada@example.org")
    assert links(html) == [
        ("https://github.com/ada-q", "@ada-q"),
        ("mailto:ada@example.org", "ada@example.org"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "`org/repo#1` and `#2` and `@ada`",
        "```\norg/repo#1 #2 @ada\n```",
        "[see org/repo#1 and @ada](https://example.org/x)",
        "https://example.org/a/b#3 and page#4 and &#35;5",
        "org/repo#0 and #12345678901",
    ],
)
def test_references_are_not_linked_in_code_links_urls_or_bad_numbers(text):
    html = render_markdown(text, "example/widget")
    assert "github.com" not in str(html)


def test_reference_links_are_sanitized_like_all_links():
    html = str(render_markdown("**a/b#1** <a href='javascript:x'>y</a>"))
    assert 'rel="nofollow noopener noreferrer"' in html
    assert "javascript" not in html


def test_github_references_finds_every_form_once():
    text = (
        "a/b#1, #2 and https://github.com/a/b/pull/3, "
        "[a link](https://github.com/c/d/issues/4), again a/b#1, `a/b#5`"
    )
    assert github_references(text, "a/b") == {
        ("a", "b", 1),
        ("a", "b", 2),
        ("a", "b", 3),
        ("c", "d", 4),
    }


@pytest.mark.django_db
def test_sync_stores_references_from_notes_and_agenda_items():
    series = MeetingSeriesFactory(github_repo="example/widget")
    meeting = MeetingFactory(
        series=series, highlights="released #10", notes="see other/repo#3"
    )
    AgendaItemFactory(
        meeting=meeting,
        description="proposal in example/widget#11",
        discussion_notes="merged https://github.com/example/widget/pull/12",
        links="https://github.com/example/Widget/issues/10",
    )
    refs = meeting.sync_github_references()
    assert [str(ref) for ref in refs] == [
        "example/widget#10",
        "example/widget#11",
        "example/widget#12",
        "other/repo#3",
    ]
    assert meeting.github_refs.count() == 4


@pytest.mark.django_db
def test_sync_removes_references_no_longer_in_the_notes_and_keeps_the_rest():
    meeting = MeetingFactory(highlights="a/b#1 and a/b#2")
    stale = GitHubReferenceFactory(meeting=meeting, owner="x", repo="y", number=9)
    meeting.sync_github_references()
    kept = meeting.github_refs.get(number=1)
    meeting.highlights = "only a/b#1 now"
    meeting.save()
    meeting.sync_github_references()
    assert [str(ref) for ref in meeting.github_refs.all()] == ["a/b#1"]
    assert meeting.github_refs.get().pk == kept.pk
    assert not GitHubReference.objects.filter(pk=stale.pk).exists()


@pytest.mark.django_db
def test_ref_page_lists_finalized_calls_only(client):
    finalized = MeetingFactory(highlights="a/b#5")
    draft = MeetingFactory(highlights="a/b#5", status="held")
    other = MeetingFactory(highlights="a/b#6")
    for meeting in (finalized, draft, other):
        meeting.sync_github_references()
    response = client.get("/refs/A/B/5/")
    html = response.content.decode()
    assert response.status_code == 200
    assert finalized.get_absolute_url() in html
    assert draft.get_absolute_url() not in html
    assert other.get_absolute_url() not in html
    assert "<title>A/B#5 · Callbook</title>" in html
    assert 'href="https://github.com/A/B/issues/5"' in html
    nothing = client.get("/refs/a/b/404/").content.decode()
    assert "No finalized call mentions it yet." in nothing


@pytest.mark.django_db
def test_meeting_page_links_references_with_the_series_repo(client):
    series = MeetingSeriesFactory(github_repo="example/widget")
    meeting = MeetingFactory(series=series, highlights="fixed #42 thanks to @ada")
    html = client.get(meeting.get_absolute_url()).content.decode()
    assert 'href="https://github.com/example/widget/issues/42"' in html
    assert 'href="https://github.com/ada"' in html


def page_refs_calls(years=3):
    """A finalized call a quarter, each referencing example/widget#<year>, from
    2026 Q4 back `years` years; plus a draft in the newest quarter."""
    last = dt.date(2026, 11, 4)
    for n in range(years * 4):
        day = last - dt.timedelta(weeks=13 * n)
        call = MeetingFactory(start=dt.datetime.combine(day, dt.time(16), dt.UTC))
        GitHubReferenceFactory(meeting=call, number=day.year)
    draft = MeetingFactory(
        start=dt.datetime(2026, 12, 2, 16, tzinfo=dt.UTC), status="held"
    )
    GitHubReferenceFactory(meeting=draft, number=9999)


def nav_links(html):
    """The page's "Later"/"Earlier" links: label -> href."""
    nav = re.search(
        r'<nav class="pagination" aria-label="Quarters">(.*?)</nav>', html, re.S
    )
    if nav is None:
        return {}
    links = re.findall(r'<a rel="\w+" href="([^"]*)">([^<]*)</a>', nav[1])
    return {label: href for href, label in links}


@pytest.mark.django_db
def test_references_page_shows_the_newest_year_and_links_to_earlier_ones(client):
    page_refs_calls()
    html = client.get("/refs/").content.decode()
    assert "<title>References · Callbook</title>" in html
    assert "counted once per call, from 2026 Q1 to 2026 Q4." in html
    assert 'href="/refs/example/widget/2026/"' in html
    assert "example/widget#2025" not in html
    assert "9999" not in html  # a draft's references are not counted
    assert nav_links(html) == {"Earlier quarters": "?until=2025-Q4"}

    html = client.get("/refs/?until=2025-Q4").content.decode()
    assert "<title>References, 2025 Q1 to 2025 Q4 · Callbook</title>" in html
    assert 'href="/refs/example/widget/2025/"' in html
    assert "example/widget#2026" not in html
    assert nav_links(html) == {
        "Later quarters": "/refs/",
        "Earlier quarters": "?until=2024-Q4",
    }

    html = client.get("/refs/?until=2024-Q4").content.decode()
    assert "from 2024 Q1 to 2024 Q4." in html
    assert nav_links(html) == {"Later quarters": "?until=2025-Q4"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "until",
    ["nonsense", "2024-Q9", "99999-Q1", "2024-Q4%00", "%FF", "-1", "2024-Q4&until=x"],
)
def test_references_page_shows_the_newest_year_for_a_value_that_is_no_quarter(
    client, until
):
    page_refs_calls(2)
    newest = client.get("/refs/").content.decode()
    response = client.get(f"/refs/?until={until}")
    assert response.status_code == 200
    assert "from 2026 Q1 to 2026 Q4." in response.content.decode()
    assert nav_links(response.content.decode()) == nav_links(newest)


@pytest.mark.django_db
def test_references_page_keeps_its_empty_state_with_or_without_a_year(client):
    for url in ("/refs/", "/refs/?until=2024-Q4"):
        html = client.get(url).content.decode()
        assert "No finalized call has referenced GitHub yet." in html
        assert "No finalized call has linked to GitHub yet." in html
        assert 'aria-label="Quarters"' not in html
