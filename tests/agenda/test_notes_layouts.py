"""Layouts the importer was not written for: small synthetic notes, one per
structural variant (issue 12), read, imported, exported and read back."""

import datetime as dt
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from agenda.models import AgendaItem
from agenda.notes.check import compare_exports, lossless_failures, round_trip
from agenda.notes.exporter import render_meeting
from agenda.notes.format import load_profile
from agenda.notes.importer import import_notes, sources_from_paths
from agenda.notes.parser import parse_notes, says_cancelled
from meetings.models import Meeting, MeetingSeries

FRONT_MATTER = """\
---
title: 2019.03.01
type: docs
---
# 2019.03.01

Before the meeting [@ann][ann] proposed an agenda, and [@bo-chen][bo] asked
about the policy. [@cy] mentioned a [draft][draft].

## Main topic

We discussed the [draft][draft] at length.

[ann]: https://github.com/ann
[bo]: https://github.com/bo-chen
[@cy]: https://github.com/cy
[draft]: https://example.org/draft
"""

TOML_FRONT_MATTER = """\
+++
title = "Widget Sync"
date = 2022-04-05
+++

Notes of the sync.
"""

PER_GROUP = """\
---
title: 2019.10.17
type: docs
---

# 2019-10-17

## Announcements

- The traits working group meeting is cancelled this week.

## Backport nominations

- Fix a crash [#101](https://github.com/example/widget/issues/101)
  - Approved for beta backport

## Working group sync

### [wg-meta](https://example.org/wg/meta/)

- [@ann] Launched the blog
- There is ongoing work.

### [wg-docs]

- [@bo-chen] and [@ann] wrote the guide

[@ann]: https://github.com/ann
[@bo-chen]: https://github.com/bo-chen
[wg-docs]: https://example.org/wg/docs/
"""

ABSENT_AND_SUBHEADINGS = """\
# Steering Committee 2023-05-04

## Present

### Members

- Ann Lee
- Bo Chen

### Guests

- Cy Dee

## Apologies

- Dee Evans
- Eve Park

## Agenda

### example/widget

- Release plan discussed.

### example/gadget

- Nothing new.

## Audio

[YouTube feed](https://video.example.org/steering-2023-05-04)
"""

CANCELLED = """\
# Widget Call 2023-06-01

This call is cancelled: no topics.
"""

NOT_CANCELLED = """\
# Widget Call 2023-06-08

## Notes

- The gadget meeting was cancelled this week.
- Next week's call will be cancelled.
"""


def write(folder: Path, name: str, text: str, newline: str = "\n") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def test_front_matter_is_metadata_not_a_second_call():
    parsed = parse_notes(FRONT_MATTER, name="2019-03-01.md")
    assert len(parsed.calls) == 1
    call = parsed.calls[0]
    assert call.date == dt.date(2019, 3, 1)
    assert call.title == ""
    assert call.front_matter.startswith("---\ntitle: 2019.03.01")
    assert parsed.front_matter == {"title": "2019.03.01", "type": "docs"}


def test_toml_front_matter_gives_title_and_date():
    parsed = parse_notes(TOML_FRONT_MATTER, name="sync.md")
    assert [(c.date, c.title, c.date_source) for c in parsed.calls] == [
        (dt.date(2022, 4, 5), "Widget Sync", "front matter")
    ]


def test_front_matter_and_file_name_outvote_a_mistyped_heading():
    text = FRONT_MATTER.replace("# 2019.03.01", "# 2017.03.01")
    call = parse_notes(text, name="2019-03-01.md").calls[0]
    assert call.date == dt.date(2019, 3, 1)
    assert [w.kind for w in call.warnings] == ["date_conflict"]


def test_a_heading_dated_otherwise_in_a_file_named_for_one_day_is_a_section():
    text = "# Agenda 2021-06-03\n\n## Logs\n\n# 2021-06-01 Triage Log\n\nfast\n"
    parsed = parse_notes(text, name="T-compiler Meeting Agenda 2021-06-03.md")
    assert [c.date for c in parsed.calls] == [dt.date(2021, 6, 3)]
    assert [i.head for i in parsed.calls[0].agenda] == [
        "Logs",
        "2021-06-01 Triage Log",
    ]


def test_reference_links_are_written_inline_everywhere():
    call = parse_notes(FRONT_MATTER, name="2019-03-01.md").calls[0]
    text = "\n".join(entry.text for entry in call.notes)
    assert "[@ann](https://github.com/ann) proposed" in text
    assert "[@cy](https://github.com/cy) mentioned" in text
    assert "[draft](https://example.org/draft)" in call.agenda[0].discussion


@pytest.mark.django_db
def test_people_named_by_reference_links_took_part(tmp_path):
    write(tmp_path, "2019-03-01.md", FRONT_MATTER)
    report = import_notes(sources=sources_from_paths([tmp_path]), series_slug="s")
    meeting = Meeting.objects.get()
    handles = [a.attendee.github_handle for a in meeting.attendances.all()]
    assert handles == ["ann", "bo-chen", "cy"]
    assert [i.title for i in meeting.agenda_items.all()] == ["Main topic"]
    assert lossless_failures(report, sources_from_paths([tmp_path])).ok


@pytest.mark.django_db
def test_per_group_sections_become_agenda_items_with_presenters(tmp_path):
    write(tmp_path, "2019-10-17.md", PER_GROUP)
    report = import_notes(sources=sources_from_paths([tmp_path]), series_slug="s")
    meeting = Meeting.objects.get()
    items = list(meeting.agenda_items.order_by("position"))
    assert [i.title for i in items] == [
        "Backport nominations",
        "Working group sync",
        "[wg-meta](https://example.org/wg/meta/)",
        "[wg-docs](https://example.org/wg/docs/)",
    ]
    assert [i.heading_level for i in items] == [2, 2, 3, 3]
    assert "Approved for beta backport" in items[0].discussion_notes
    assert [p.github_handle for p in items[2].presenters.all()] == ["ann"]
    assert sorted(p.github_handle for p in items[3].presenters.all()) == [
        "ann",
        "bo-chen",
    ]
    # "The traits working group meeting is cancelled" is another meeting.
    assert meeting.status == Meeting.Status.FINALIZED
    assert lossless_failures(report, sources_from_paths([tmp_path])).ok
    diffs, _after = round_trip(default_series="s", split_series=False)
    assert diffs == []


@pytest.mark.django_db
def test_absentees_are_not_attendees_and_sub_headings_stay_in_their_list(
    tmp_path,
):
    write(tmp_path, "steering.md", ABSENT_AND_SUBHEADINGS)
    report = import_notes(sources=sources_from_paths([tmp_path]), series_slug="s")
    meeting = Meeting.objects.get()
    names = [a.attendee.display_name for a in meeting.attendances.all()]
    assert names == ["Ann Lee", "Bo Chen", "Cy Dee"]
    assert "Dee Evans" in meeting.notes
    assert "## Apologies" in meeting.notes
    assert [i.title for i in meeting.agenda_items.all()] == [
        "example/widget",
        "example/gadget",
    ]
    assert meeting.recording_url == "https://video.example.org/steering-2023-05-04"
    assert lossless_failures(report, sources_from_paths([tmp_path])).ok
    diffs, _after = round_trip(default_series="s", split_series=False)
    assert diffs == []


@pytest.mark.parametrize(
    ("line", "cancelled"),
    [
        ("This call is cancelled: no topics.", True),
        ("Widget Call cancelled", True),
        ("The gadget meeting was cancelled this week.", False),
        ("X meeting cancelled this week", False),
        ("Next week's call will be cancelled.", False),
    ],
)
def test_cancelled_only_when_this_call_does_not_take_place(line, cancelled):
    assert says_cancelled(line, title="Widget Call") is cancelled


def test_a_sentence_about_another_meeting_does_not_cancel_the_call():
    assert parse_notes(CANCELLED, name="a.md").calls[0].cancelled
    assert not parse_notes(NOT_CANCELLED, name="b.md").calls[0].cancelled


@pytest.mark.django_db
def test_series_one_split_or_per_folder(tmp_path):
    write(tmp_path, "steering/2019-03-01.md", FRONT_MATTER)
    write(tmp_path, "triage/2019-10-17.md", PER_GROUP)
    write(tmp_path, "triage/other.md", "# Other Sync 2019-10-24\n\nhello\n")
    write(tmp_path, "triage/w1.md", "# Widget Call 2019-10-31\n\nhi\n")
    write(tmp_path, "triage/w2.md", "# Widget Call 2019-11-07\n\nho\n")
    paths = sources_from_paths([tmp_path])
    one = import_notes(sources=paths, series_slug="all", dry_run=True)
    assert one.series == ["all"]
    split = import_notes(
        sources=paths, series_slug="all", split_series=True, dry_run=True
    )
    assert split.series == ["all", "other-sync"]
    import_notes(sources=paths, series_from_folder=True)
    assert sorted(MeetingSeries.objects.values_list("slug", "title")) == [
        ("steering", "Steering"),
        ("triage", "Triage"),
    ]
    diffs, _after = round_trip(
        default_series="notes", split_series=False, series_from_folder=True
    )
    assert diffs == []


@pytest.mark.django_db
def test_an_unedited_call_exports_as_its_source_byte_for_byte(tmp_path):
    write(tmp_path, "2019-10-17.md", PER_GROUP, newline="\r\n")
    sources = sources_from_paths([tmp_path])
    report = import_notes(sources=sources, series_slug="s")
    meeting = Meeting.objects.get()
    assert render_meeting(meeting).encode("utf-8") == sources[0][1]
    comparison = compare_exports(report, sources)
    assert (comparison.identical, comparison.undocumented) == (1, [])
    # An edit (here a presenter added in the admin) makes it render from fields.
    item = meeting.agenda_items.get(position=0)
    item.presenters.add(meeting.attendances.first().attendee)
    meeting = Meeting.objects.get()
    exported = render_meeting(meeting)
    assert exported != meeting.source_text
    assert "\r" not in exported


@pytest.mark.django_db
def test_a_call_merged_with_another_version_is_a_documented_difference(tmp_path):
    write(tmp_path, "a/2019-10-17.md", PER_GROUP)
    write(tmp_path, "b/2019-10-17.md", PER_GROUP + "\n- one more line\n")
    sources = sources_from_paths([tmp_path])
    report = import_notes(sources=sources, series_slug="s")
    comparison = compare_exports(report, sources)
    assert comparison.documented == {"merged": 2}
    assert (comparison.identical, comparison.undocumented) == (0, [])


@pytest.mark.django_db
def test_an_archive_exports_one_file_per_call(tmp_path):
    archive = "# Widget Call\n\n## 2023-06-08\n\nsecond\n\n## 2023-06-01\n\nfirst\n"
    write(tmp_path, "archive.md", archive)
    sources = sources_from_paths([tmp_path])
    report = import_notes(sources=sources, series_slug="s")
    comparison = compare_exports(report, sources)
    assert comparison.documented == {"archive": 1}
    first = Meeting.objects.get(date="2023-06-08")
    # Each call is written from its fields, the archive's title included.
    assert first.source_text == ""
    assert render_meeting(first).startswith("# Widget Call\n\n## 2023-06-08\n")
    diffs, _after = round_trip(default_series="s", split_series=False)
    assert diffs == []


@pytest.mark.django_db
def test_a_bom_is_a_documented_difference(tmp_path):
    path = tmp_path / "2023-06-01.md"
    path.write_bytes(b"\xef\xbb\xbf" + CANCELLED.encode("utf-8"))
    sources = sources_from_paths([tmp_path])
    report = import_notes(sources=sources, series_slug="s")
    assert compare_exports(report, sources).documented == {"encoding": 1}
    assert render_meeting(Meeting.objects.get()) == CANCELLED


def test_a_profile_maps_a_community_own_headings():
    vocabulary = load_profile("Hats: attendees\n# a comment\nWho spoke = notes\n")
    text = "# Call 2023-01-01\n\n## Hats\n\n- Ann Lee\n\n## Who spoke\n\nAnn\n"
    call = parse_notes(text, name="x.md", vocabulary=vocabulary).calls[0]
    assert [e.text for e in call.attendees] == ["Ann Lee"]
    assert [(h.text, h.role, h.profile) for h in call.headings[1:]] == [
        ("Hats", "attendees", "custom"),
        ("Who spoke", "notes", "custom"),
    ]
    with pytest.raises(ValueError, match="unknown role 'atendees'"):
        load_profile("Hats: atendees")


@pytest.mark.django_db
def test_the_dry_run_shows_how_each_heading_was_read(tmp_path):
    write(tmp_path, "2019-10-17.md", PER_GROUP)
    profile = write(tmp_path, "../profile.txt", "Working group sync: topic\n")
    out = StringIO()
    call_command(
        "import_notes",
        str(tmp_path),
        "--series",
        "s",
        "--dry-run",
        "--profile",
        str(profile),
        stdout=out,
    )
    text = out.getvalue()
    assert "call 2019-10-17 (s, lines 1-30): 2 people, 4 agenda items" in text
    assert "## Announcements -> highlights (falco)" in text
    assert "?   12 ## Backport nominations -> topic" in text
    assert "     17 ## Working group sync -> topic (custom)" in text
    assert "Headings no profile names" in text
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_the_command_needs_a_series_or_folders(tmp_path):
    write(tmp_path, "2019-10-17.md", PER_GROUP)
    with pytest.raises(CommandError, match="--series SLUG is required"):
        call_command("import_notes", str(tmp_path), stdout=StringIO())
    bad = write(tmp_path, "../bad.txt", "Hats: hats\n")
    with pytest.raises(CommandError, match="unknown role"):
        call_command(
            "import_notes", str(tmp_path), "--series", "s", "--profile", str(bad)
        )


@pytest.mark.django_db
def test_the_json_report_has_headings_and_counts(tmp_path):
    write(tmp_path, "2019-10-17.md", PER_GROUP)
    report = import_notes(
        sources=sources_from_paths([tmp_path]), series_slug="s", dry_run=True
    )
    call = json.loads(json.dumps(report.to_dict()))["files"][0]["calls"][0]
    assert (call["attendees"], call["agenda_items"]) == (2, 4)
    announcements = {
        "line": 8,
        "level": 2,
        "text": "Announcements",
        "role": "highlights",
        "profile": "falco",
    }
    assert announcements in call["headings"]
    assert AgendaItem.objects.count() == 0


@pytest.mark.django_db
def test_a_call_only_the_batch_resolves_is_a_documented_difference(tmp_path):
    write(
        tmp_path,
        "2023-06-01.md",
        "# Widget Call 2023-06-01\n\n## Who joined\n\n"
        "- Ann Lee ([@annlee](https://github.com/annlee))\n",
    )
    # "Ann" alone is Ann Lee only because the other file says so.
    write(
        tmp_path,
        "2023-06-08.md",
        "# Widget Call 2023-06-08\n\n## Who joined\n\n- Ann\n",
    )
    sources = sources_from_paths([tmp_path])
    report = import_notes(sources=sources, series_slug="s")
    later = Meeting.objects.get(date="2023-06-08")
    assert [a.attendee.github_handle for a in later.attendances.all()] == ["annlee"]
    assert later.source_text == ""
    comparison = compare_exports(report, sources)
    assert (comparison.identical, comparison.documented) == (1, {"context": 1})
