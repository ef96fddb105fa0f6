"""The site while a call is on, and what typed text can do to a page's head."""

import datetime as dt
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agenda.forms import ProposalForm
from tests.factories import (
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def series():
    return MeetingSeriesFactory(
        slug="community",
        title="Widget Call",
        github_repo="example/widget",
        video_url="https://meet.example.org/widget",
        length_minutes=60,
    )


@pytest.fixture
def on_now(series):
    meeting = MeetingFactory(
        series=series,
        status="scheduled",
        start=NOW - dt.timedelta(minutes=10),
        mc=AttendeeFactory(display_name="Dana MC"),
    )
    AgendaItemFactory(meeting=meeting, title="Release 1.0", status="accepted")
    return meeting


def test_home_shows_the_call_on_now_and_the_next_call(client, series, on_now):
    coming = MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=7)
    )
    html = client.get("/").content.decode()
    now_part, next_part = html.split('<h2 class="page-section">Next calls</h2>')
    assert "<h1>Happening now</h1>" in now_part
    assert "on now" in now_part
    assert 'href="https://meet.example.org/widget">Join the video call' in now_part
    assert f"{on_now.get_absolute_url()}checkin/" in now_part
    assert "Release 1.0" in now_part
    assert "Live notes" not in now_part
    assert coming.get_absolute_url() in next_part
    assert f"{coming.get_absolute_url()}propose/" in next_part
    assert "No call is scheduled yet." not in html


def test_home_during_a_call_says_when_the_next_one_is(client, series, on_now):
    html = client.get("/").content.decode()
    assert "Next call of this series:" in html
    assert "The next call is not scheduled yet." in html
    following = series.start_following(on_now.start)
    assert following.strftime("%Y-%m-%dT%H:%M") in html


def test_staff_get_the_live_notes_link(client, on_now):
    client.force_login(UserFactory(is_staff=True))
    html = client.get("/").content.decode()
    assert f"{on_now.get_absolute_url()}notebook/" in html


def test_a_call_over_for_an_hour_is_no_longer_on(client, series):
    MeetingFactory(series=series, status="held", start=NOW - dt.timedelta(hours=2))
    html = client.get("/").content.decode()
    assert "Happening now" not in html
    assert "No call is scheduled yet." in html


class Heads(HTMLParser):
    """Where the check-in link appears, and every <meta> tag's attributes."""

    def __init__(self):
        super().__init__()
        self.in_head = False
        self.in_body = False
        self.checkin_in_head = 0
        self.checkin_in_body = 0
        self.metas = []

    def handle_starttag(self, tag, attrs):
        if tag == "head":
            self.in_head = True
        if tag == "body":
            self.in_head, self.in_body = False, True
        if tag == "meta":
            self.metas.append(dict(attrs))
        href = dict(attrs).get("href") or ""
        if tag == "a" and href.endswith("/checkin/"):
            if self.in_head:
                self.checkin_in_head += 1
            else:
                self.checkin_in_body += 1

    def handle_endtag(self, tag):
        if tag == "head":
            self.in_head = False


def parse(html: str) -> Heads:
    heads = Heads()
    heads.feed(html)
    return heads


def test_the_call_page_reads_right_while_the_call_is_on(client, on_now):
    html = client.get(on_now.get_absolute_url()).content.decode()
    page = parse(html)
    assert page.checkin_in_head == 0
    assert page.checkin_in_body == 1
    assert html.count("I'm here: check in") == 1
    assert "The call is on now." in html
    assert "has taken place" not in html
    assert "Recording: pending" not in html
    assert "Send a late item" in html
    head = html.split("</head>", 1)[0]
    assert "<p" not in head


def test_after_the_call_the_page_says_notes_are_coming(client, series):
    over = MeetingFactory(
        series=series, status="held", start=NOW - dt.timedelta(hours=3)
    )
    html = client.get(over.get_absolute_url()).content.decode()
    assert "The call has taken place; the notes are being finalized." in html
    assert "The call is on now." not in html


@pytest.mark.parametrize(
    "highlight",
    [
        'Big "news" <meta http-equiv="refresh" content="0;url=https://evil.example">',
        '" http-equiv="refresh" content="0;url=https://evil.example',
        "**Shipped** 1.0 & \"quoted\" 'single' `code` [link](https://x.org)",
    ],
)
def test_highlights_cannot_add_attributes_to_meta_tags(client, series, highlight):
    meeting = MeetingFactory(series=series, highlights=highlight)
    html = client.get(meeting.get_absolute_url()).content.decode()
    metas = parse(html).metas
    assert not any("http-equiv" in meta for meta in metas)
    for meta in metas:
        assert set(meta) <= {"charset", "name", "content", "property"}, meta
    descriptions = [
        m["content"]
        for m in metas
        if m.get("name") == "description" or m.get("property") == "og:description"
    ]
    assert len(descriptions) == 2
    for text in descriptions:
        assert "<" not in text
        assert "**" not in text


def test_feed_survives_a_control_character_in_a_finalized_title(client, series):
    form = ProposalForm(
        data={
            "proposer_name": "Sam\x0b",
            "title": "Vertical\x0btab",
            "description": "x\x1by\x7f",
            "requested_minutes": "5",
            "links": "",
            "website": "",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["title"] == "Verticaltab"
    assert form.cleaned_data["description"] == "xy"
    nul = ProposalForm(data={**form.data, "description": "x\x00"})
    assert nul.errors["description"] == ["Null characters are not allowed."]
    meeting = MeetingFactory(series=series)
    # Written around the form (an import, raw SQL): the feed must still answer.
    AgendaItemFactory(
        meeting=meeting,
        title="Raw\x0btitle",
        status="discussed",
        discussion_notes="notes \x0c here",
    )
    meeting.title = "Call\x0b title"
    meeting.highlights = "high\x01lights"
    meeting.save()
    response = client.get("/feeds/notes/")
    assert response.status_code == 200
    root = ET.fromstring(response.content)
    titles = [e.text for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert f"Call title, {meeting.date_key}" in titles


def test_control_characters_are_refused_in_the_admin_with_a_message(series):
    meeting = MeetingFactory(series=series, title="Bad\x0btitle")
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert error.value.message_dict["title"] == [
        "Remove the invisible control characters from this text."
    ]


def test_markdown_fields_are_bounded_with_a_clear_message(series):
    from meetings.models import NOTES_MAX_CHARS

    meeting = MeetingFactory(series=series, notes="x" * (NOTES_MAX_CHARS + 1))
    with pytest.raises(ValidationError) as error:
        meeting.full_clean()
    assert error.value.message_dict["notes"] == [
        f"Keep this under {NOTES_MAX_CHARS} characters (it has "
        f"{NOTES_MAX_CHARS + 1}); split it, or link to a longer document."
    ]
    item = AgendaItemFactory(meeting=meeting, description="[" * 20_001)
    with pytest.raises(ValidationError) as error:
        item.full_clean()
    assert "description" in error.value.message_dict
