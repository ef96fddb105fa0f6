import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from agenda.models import ActionItem
from agenda.notes.exporter import render_meeting
from agenda.notes.importer import import_notes, sources_from_paths
from meetings.models import Attendance, Meeting
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)

EXPECTED = """\
# Widget Community Call

[More Information](https://example.org/community)
[Video call](https://meet.example.org/call)
[Recording](https://video.example.org/1)

## 2021-03-03

### MC

- Ann Lee ([@annlee](https://github.com/annlee))

### Who joined

- Ann Lee ([@annlee](https://github.com/annlee))
- Bo Chen
- Cy - Acme (@cy)

### This week highlights

- 2.4 is out

### Agenda

- [Ann/Bo] Release 2.4 planning
  - freeze on Friday
- Docs overhaul (Bo)
  more words

  Discussed at length.

### Action items

- [ ] [Bo] write the FAQ
- [x] publish the survey

### Closing

- **MC Next Call**: Bo Chen
- **Next Release**: 2.5.0 on May 5th

### Notes

<!-- callbook:notes -->
## Anything else

kept verbatim
<!-- /callbook:notes -->
"""


@pytest.fixture
def meeting(db):
    series = MeetingSeriesFactory(
        slug="widget",
        title="Widget Community Call",
        info_url="https://example.org/community",
        video_url="https://meet.example.org/call",
    )
    ann = AttendeeFactory(display_name="Ann Lee", github_handle="annlee")
    bo = AttendeeFactory(display_name="Bo Chen", github_handle="")
    cy = AttendeeFactory(display_name="Cy", github_handle="cy")
    start = series.start_on(dt.date(2021, 3, 3))
    meeting = MeetingFactory(
        series=series,
        start=start,
        mc=ann,
        next_mc=bo,
        next_release="2.5.0 on May 5th",
        highlights="- 2.4 is out",
        notes="## Anything else\n\nkept verbatim",
        recording_url="https://video.example.org/1",
    )
    for position, person in enumerate([ann, bo, cy]):
        AttendanceFactory(meeting=meeting, attendee=person, position=position)
    Attendance.objects.filter(attendee=cy).update(written_as="Cy - Acme (@cy)")
    first = AgendaItemFactory(
        meeting=meeting,
        title="Release 2.4 planning",
        presenter_names="Ann/Bo",
        discussion_notes="- freeze on Friday",
        position=0,
    )
    first.presenters.set([ann, bo])
    AgendaItemFactory(
        meeting=meeting,
        title="Docs overhaul (Bo)",
        presenter_names="Bo",
        description="more words",
        discussion_notes="Discussed at length.",
        position=1,
    )
    AgendaItemFactory(
        meeting=meeting, title="Proposed, not held", status="proposed", position=2
    )
    ActionItemFactory(meeting=meeting, description="write the FAQ", owner_names="Bo")
    ActionItemFactory(
        meeting=meeting, description="publish the survey", status="done", position=1
    )
    ActionItemFactory(
        meeting=meeting, description="Bo to nap", status="suggested", position=2
    )
    return meeting


def test_a_meeting_renders_in_the_community_layout(meeting):
    assert render_meeting(meeting) == EXPECTED


def test_the_export_imports_back_to_the_same_fields(meeting, tmp_path):
    path = tmp_path / "2021-03-03.md"
    path.write_text(render_meeting(meeting), "utf-8")
    Meeting.objects.all().delete()
    report = import_notes(sources=sources_from_paths([path]), series_slug="widget")
    assert report.failures == 0
    again = Meeting.objects.get()
    assert again.mc.display_name == "Ann Lee"
    assert again.next_mc.display_name == "Bo Chen"
    assert (again.highlights, again.notes, again.next_release) == (
        "- 2.4 is out",
        "## Anything else\n\nkept verbatim",
        "2.5.0 on May 5th",
    )
    assert again.info_url == again.video_url == ""  # the series' standing links
    assert again.recording_url == "https://video.example.org/1"
    assert list(
        again.attendances.values_list("attendee__display_name", "written_as")
    ) == [
        ("Ann Lee", ""),
        ("Bo Chen", ""),
        ("Cy", "Cy - Acme (@cy)"),
    ]
    assert list(
        again.agenda_items.values_list(
            "title", "presenter_names", "description", "discussion_notes"
        )
    ) == [
        ("Release 2.4 planning", "Ann/Bo", "", "- freeze on Friday"),
        ("Docs overhaul (Bo)", "Bo", "more words", "Discussed at length."),
    ]
    assert list(
        again.action_items.values_list("description", "owner_names", "status")
    ) == [
        ("write the FAQ", "Bo", "open"),
        ("publish the survey", "", "done"),
    ]


def test_export_notes_writes_one_file_a_call_or_an_archive(meeting, tmp_path):
    older = MeetingFactory(
        series=meeting.series,
        start=meeting.series.start_on(dt.date(2021, 2, 24)),
        mc=None,
        status=Meeting.Status.CANCELLED,
    )
    MeetingFactory(
        series=meeting.series,
        start=meeting.series.start_on(dt.date(2021, 3, 10)),
        status=Meeting.Status.SCHEDULED,
    )
    out = StringIO()
    call_command("export_notes", "--series", "widget", "--out", tmp_path, stdout=out)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "2021-02-24.md",
        "2021-03-03.md",
    ]
    assert (tmp_path / "2021-03-03.md").read_text("utf-8") == EXPECTED
    assert "**Cancelled**" in (tmp_path / "2021-02-24.md").read_text("utf-8")
    assert "2 file(s) written" in out.getvalue()

    out_dir = tmp_path / "a"
    call_command(
        "export_notes",
        "--series",
        "widget",
        "--out",
        out_dir,
        "--archive",
        "all",
        stdout=StringIO(),
    )
    archive = (tmp_path / "a" / "all.md").read_text("utf-8")
    assert archive.index("## 2021-03-03") < archive.index("## 2021-02-24")
    assert archive == EXPECTED + "\n---\n\n" + render_meeting(older)


def test_export_notes_needs_an_existing_series(db, tmp_path):
    with pytest.raises(CommandError, match="no series with the slug 'nope'"):
        call_command("export_notes", "--series", "nope", "--out", tmp_path)


def test_the_public_download_serves_finalized_calls_only(client, meeting):
    url = reverse(
        "agenda:meeting_markdown", kwargs={"series": "widget", "date_key": "2021-03-03"}
    )
    assert url == "/calls/widget/2021-03-03.md"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    assert response["Content-Disposition"] == 'inline; filename="widget-2021-03-03.md"'
    assert response.content.decode() == EXPECTED

    meeting.status = Meeting.Status.HELD
    meeting.save()
    assert client.get(url).status_code == 404
    for missing in ("/calls/widget/2021-03-04.md", "/calls/other/2021-03-03.md"):
        assert client.get(missing).status_code == 404


def test_the_download_of_a_second_call_that_day(client, meeting):
    second = MeetingFactory(
        series=meeting.series, start=meeting.start + dt.timedelta(hours=3), ordinal=2
    )
    response = client.get(f"/calls/widget/{second.date_key}.md")
    assert second.date_key == "2021-03-03-2"
    assert response.status_code == 200
    assert "## 2021-03-03" in response.content.decode()


def test_the_download_reads_in_a_fixed_number_of_queries(
    client, meeting, django_assert_max_num_queries
):
    url = "/calls/widget/2021-03-03.md"
    with django_assert_max_num_queries(8):
        client.get(url)
    for number in range(5):
        item = AgendaItemFactory(meeting=meeting, position=10 + number)
        item.presenters.set([AttendeeFactory()])
        ActionItem.objects.create(meeting=meeting, description=f"more {number}")
        AttendanceFactory(meeting=meeting)
    with django_assert_max_num_queries(8):
        assert client.get(url).status_code == 200


def test_proposals_and_suggestions_are_not_part_of_the_record(meeting):
    text = render_meeting(meeting)
    assert "Proposed, not held" not in text
    assert "Bo to nap" not in text
