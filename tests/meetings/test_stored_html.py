"""Markdown is rendered once and stored beside its text, keyed by what it was
rendered from (issue 15, item 1)."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda.models import ActionItem, AgendaItem
from meetings import markdown
from meetings.markdown import render_key
from meetings.models import Meeting
from pagecache.models import SiteGeneration
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)


@pytest.fixture(autouse=True)
def render_every_time(settings):
    # These tests look at the render path, not at the parts kept per minute.
    settings.CLOCK_CACHE_SECONDS = 0


def notes_call(**fields):
    series = MeetingSeriesFactory(github_repo="example/widget")
    meeting = MeetingFactory(
        series=series,
        highlights="- shipped **1.0**, see #12",
        notes="Free notes with [the docs][docs]",
        next_release="lead *Ann*",
        **fields,
    )
    item = AgendaItemFactory(
        meeting=meeting,
        title="Roadmap `v2`",
        status="discussed",
        discussion_notes="We agreed.\n\n[docs]: https://docs.example.org/",
    )
    action = ActionItemFactory(meeting=meeting, description="Ann to **write** it")
    return meeting, item, action


def page(client, meeting):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(meeting.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode(), queries


@pytest.mark.django_db
def test_first_view_stores_the_html_and_later_views_render_nothing(
    client, settings, monkeypatch
):
    settings.PAGE_CACHE = False
    settings.PUBLISHED_PAGES = False  # the whole notes: test_published_pages.py
    meeting, item, action = notes_call()
    assert Meeting.objects.get(pk=meeting.pk).html_key == ""
    html, first = page(client, meeting)
    assert "<strong>1.0</strong>" in html
    # "#12" against the series' repository; "[docs]" defined in another field.
    assert 'href="https://github.com/example/widget/issues/12"' in html
    assert 'href="https://docs.example.org/"' in html
    assert "<em>Ann</em>" in html
    assert "<code>v2</code>" in html
    assert "Ann to <strong>write</strong> it" in html

    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.html_key.startswith(f"{markdown.RENDERER_VERSION}:")
    assert "<strong>1.0</strong>" in stored.highlights_html
    assert "<code>v2</code>" in AgendaItem.objects.get(pk=item.pk).title_html
    assert (
        "<strong>write</strong>"
        in ActionItem.objects.get(pk=action.pk).description_html
    )

    def no_rendering(*args, **kwargs):
        raise AssertionError("rendered again although nothing changed")

    monkeypatch.setattr("meetings.models.render_markdown", no_rendering)
    monkeypatch.setattr("meetings.models.render_inline", no_rendering)
    again, second = page(client, meeting)
    assert again == html
    # The first view wrote the three kinds of row once; the second writes nothing.
    assert len(second) == len(first) - 3
    assert not [q for q in second if q["sql"].startswith("UPDATE")]
    assert len(second) <= 8


@pytest.mark.django_db
def test_a_new_renderer_version_renders_everything_again(client, settings, monkeypatch):
    settings.PAGE_CACHE = False
    meeting, item, _action = notes_call()
    call_command("render_markdown", stdout=io.StringIO())
    old_key = Meeting.objects.get(pk=meeting.pk).html_key
    # Stored HTML that the old renderer made, now wrong: the new one must replace it.
    Meeting.objects.filter(pk=meeting.pk).update(highlights_html="<p>old render</p>")
    monkeypatch.setattr(markdown, "RENDERER_VERSION", markdown.RENDERER_VERSION + 1)
    html, _queries = page(client, meeting)
    assert "old render" not in html
    assert "<strong>1.0</strong>" in html
    new_key = Meeting.objects.get(pk=meeting.pk).html_key
    assert new_key != old_key
    assert new_key.startswith(f"{markdown.RENDERER_VERSION}:")
    assert AgendaItem.objects.get(pk=item.pk).html_key.startswith(
        f"{markdown.RENDERER_VERSION}:"
    )


@pytest.mark.django_db
def test_text_changed_around_save_shows_at_once(client, settings):
    settings.PAGE_CACHE = False
    meeting, item, _action = notes_call()
    page(client, meeting)
    # A bulk update does not render; the key no longer matches the text.
    AgendaItem.objects.filter(pk=item.pk).update(discussion_notes="We *disagreed*.")
    Meeting.objects.filter(pk=meeting.pk).update(notes="Totally new notes")
    html, _queries = page(client, meeting)
    assert "We <em>disagreed</em>." in html
    assert "Totally new notes" in html
    assert "We agreed." not in html


@pytest.mark.django_db
def test_a_new_default_repository_renders_again(client, settings):
    settings.PAGE_CACHE = False
    meeting, _item, _action = notes_call()
    page(client, meeting)
    meeting.series.github_repo = "other/thing"
    meeting.series.save()
    html, _queries = page(client, meeting)
    assert 'href="https://github.com/other/thing/issues/12"' in html


@pytest.mark.django_db
def test_stored_html_is_the_sanitizers_output(client, settings):
    settings.PAGE_CACHE = False
    meeting, item, _action = notes_call()
    Meeting.objects.filter(pk=meeting.pk).update(
        highlights='<script>alert(1)</script><img src=x onerror="alert(2)">'
        "[x](javascript:alert(3))"
    )
    AgendaItem.objects.filter(pk=item.pk).update(title="<b onclick=alert(4)>T</b>")
    html, _queries = page(client, meeting)
    stored = Meeting.objects.get(pk=meeting.pk)
    for text in (html, stored.highlights_html):
        assert "<script>alert(1)" not in text
        assert "onerror" not in text
        assert 'href="javascript' not in text
    # A title shows typed HTML as text.
    assert "<b onclick" not in html
    assert "&lt;b onclick" in AgendaItem.objects.get(pk=item.pk).title_html


@pytest.mark.django_db
def test_storing_the_html_keeps_the_site_stamp():
    meeting, _item, _action = notes_call()
    stamp = SiteGeneration.current()[0]
    call_command("render_markdown", stdout=io.StringIO())
    assert Meeting.objects.get(pk=meeting.pk).html_key
    assert SiteGeneration.current()[0] == stamp


@pytest.mark.django_db
def test_render_markdown_command_renders_only_what_is_stale(capsys):
    meeting, _item, _action = notes_call()
    call_command("render_markdown")
    assert "Rendered 3 stale rows again" in capsys.readouterr().out
    call_command("render_markdown")
    assert "Rendered 0 stale rows again" in capsys.readouterr().out
    Meeting.objects.filter(pk=meeting.pk).update(notes="changed")
    call_command("render_markdown", "--series", meeting.series.slug)
    assert "Rendered 1 stale row again" in capsys.readouterr().out
    stored = Meeting.objects.get(pk=meeting.pk)
    texts = [stored.highlights, stored.notes, stored.next_release]
    assert stored.html_key != render_key("", "", *texts)
    assert stored.notes_html == "<p>changed</p>\n"


@pytest.mark.django_db
def test_html_read_before_it_is_checked_is_refused():
    meeting, _item, _action = notes_call()
    with pytest.raises(RuntimeError, match="before refresh_rendered"):
        meeting.html  # noqa: B018


@pytest.mark.django_db
def test_checkboxes_stored_by_renderer_1_are_rendered_again(monkeypatch):
    # Renderer 1 stored a task list's checkbox attributes in a random order
    # (nh3's forced attributes); 2 orders them, so every stored render is redone.
    meeting = MeetingFactory(notes="- [x] done\n- [ ] open")
    with monkeypatch.context() as old:
        old.setattr(markdown, "RENDERER_VERSION", 1)
        call_command("render_markdown", stdout=io.StringIO())
    old_key = Meeting.objects.get(pk=meeting.pk).html_key
    assert old_key.startswith("1:")
    Meeting.objects.filter(pk=meeting.pk).update(
        notes_html='<ul>\n<li><input disabled="" checked="" aria-label="task" '
        'type="checkbox"> done</li>\n</ul>\n',
    )
    call_command("render_markdown", stdout=io.StringIO())
    stored = Meeting.objects.get(pk=meeting.pk)
    assert stored.html_key != old_key
    assert stored.notes_html == (
        '<ul>\n<li><input aria-label="task" checked="" disabled="" type="checkbox">'
        ' done</li>\n<li><input aria-label="task" disabled="" type="checkbox"> open'
        "</li>\n</ul>\n"
    )
