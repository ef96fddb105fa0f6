import datetime as dt

import pytest

from agenda.notes.format import (
    PersonRef,
    classify_label,
    classify_link,
    content_segments,
    find_dates,
    is_date_only,
    missing_lines,
    remove_dates,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("## 2020-09-16", dt.date(2020, 9, 16)),
        ("## 2023-8-2", dt.date(2023, 8, 2)),
        ("## 2020-Jan-28", dt.date(2020, 1, 28)),
        ("# Falco Office hours - Meeting 4th Sept 2019", dt.date(2019, 9, 4)),
        ("Meeting 6th June 2019", dt.date(2019, 6, 6)),
        ("30th Oct 2019", dt.date(2019, 10, 30)),
        ("The next call is on January 15, 2025.", dt.date(2025, 1, 15)),
        ("[Dec 1st, 2020](https://example.org)", dt.date(2020, 12, 1)),
        ("# 2023-04-27 Roadmap Discussion", dt.date(2023, 4, 27)),
    ],
)
def test_every_date_form_of_the_corpus_is_read(text, expected):
    assert [match.date for match in find_dates(text)] == [expected]


@pytest.mark.parametrize(
    "text",
    ["## 2024 Holidays notice", "release 0.32.1", "2023-13-40", "8/4/2020", "v1.2.3"],
)
def test_things_that_are_not_full_dates(text):
    assert find_dates(text) == []


def test_date_only_lines_and_removing_dates():
    assert is_date_only("30th Oct 2019")
    assert is_date_only("**Wednesday, 2020-09-16**")
    assert not is_date_only("Meeting 6th June 2019")
    assert remove_dates("Falco Office hours - Meeting 6th June 2019") == (
        "Falco Office hours - Meeting"
    )


@pytest.mark.parametrize(
    ("label", "kind"),
    [
        ("Who joined", "attendees"),
        ("**Who Joined**:", "attendees"),
        ("Attendees", "attendees"),
        ("Present", "attendees"),
        ("Participants", "attendees"),
        ("MC", "mc"),
        ("**MC:**", "mc"),
        ("This week's Highlights", "highlights"),
        ("Weekly highlights", "highlights"),
        ("Latest news", "highlights"),
        ("Agenda (Please add any items you would like to discuss here)", "agenda"),
        ("Agenda / Open Discussion", "agenda"),
        ("Proposals/Issues", "agenda"),
        ("Action items:", "actions"),
        ("MC Next Call", "next_mc"),
        ("Next Week MC", "next_mc"),
        ("Next Release", "next_release"),
        ("Closing", "closing"),
        ("Links", "links"),
    ],
)
def test_section_labels_in_their_many_spellings(label, kind):
    assert classify_label(label) == kind


@pytest.mark.parametrize(
    "label",
    ["Falco Office hours - Meeting", "Notes - the CNCF update", "Lightning Talk", ""],
)
def test_titles_and_topics_are_not_section_labels(label):
    assert classify_label(label) is None


def test_link_labels():
    assert classify_link("Zoom Link") == "video"
    assert classify_link("More Information") == "info"
    assert classify_link("**Recording**") == "recording"
    assert classify_link("slides about it") is None


def test_content_ignores_markers_labels_and_placeholders():
    assert content_segments("### Who joined") == ()
    assert content_segments("- [Your Name](https://github.com/your-handle)") == ()
    assert content_segments("[Recording](https://)") == ()
    assert content_segments("- **MC Next Call**: Ann Lee") == (("ann", "lee"),)
    assert content_segments("1. - Ann ([@ann](https:github.com/ann))") == (
        ("ann",),
        ("ann",),
        ("https", "github", "com", "ann"),
    )


def test_content_keeps_words_of_a_run_in_order_but_allows_moving_links_and_dates():
    text = "- Release plan [PR](https://github.com/o/r/pull/1) on 4th Sept 2019"
    assert content_segments(text) == (
        ("release", "plan"),
        ("pr",),
        ("https", "github", "com", "o", "r", "pull", "1"),
        ("on",),
        ("2019", "09", "04"),
    )
    moved = "On 2019-09-04: [PR](https://github.com/o/r/pull/1) release plan"
    assert missing_lines([(1, "- release plan PR on 4th Sept 2019")], moved) == [
        (1, "- release plan PR on 4th Sept 2019")
    ]


def test_missing_lines_reports_lost_content_with_its_line_number():
    export = "# T\n\n## 2020-01-01\n\n- Kris Nova ([@kris-nova](https://github.com/kris-nova))\n"
    source = [
        (3, "- Kris Nóva ([@kris-nova](https:github.com/kris-nova))"),
        (4, "- Dan Pop"),
    ]
    assert missing_lines(source, export) == [(4, "- Dan Pop")]


def test_person_lines():
    ann = PersonRef("Ann Lee", "annlee")
    assert ann.line() == "Ann Lee ([@annlee](https://github.com/annlee))"
    assert PersonRef("Bo").line() == "Bo"
    written = PersonRef("Ann Lee", "annlee", "Ann Lee - Acme (@annlee)")
    assert written.line() == "Ann Lee - Acme (@annlee)"
    assert written == ann
