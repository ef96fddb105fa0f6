"""An export a community can commit (issue 11, items 2 and 3): several presenters
per item, people picked in the admin kept, LF only, and edited calls written in
the series' own style learned from its imported files."""

from pathlib import Path

import pytest

from agenda.models import ActionItem, AgendaItem
from agenda.notes.check import round_trip
from agenda.notes.exporter import presenters_written, render_meeting
from agenda.notes.format import AgendaItemData, NotesStyle, PersonRef
from agenda.notes.importer import import_notes, sources_from_paths
from meetings.models import Meeting, MeetingSeries
from tests.factories import AttendeeFactory

COMMUNITY = """\
# Gizmo Community Call

[More Information](https://example.org/gizmo)
[Zoom Link](https://zoom.example.org/gizmo)

## 2021-05-05

### MC

* Lorenzo Fontana ([@fntlnz](https://github.com/fntlnz))

### Who joined

* Lorenzo Fontana ([@fntlnz](https://github.com/fntlnz))
* Leonardo Grasso ([@leogr](https://github.com/leogr))
* Fahad Arshad ([@farshad](https://github.com/farshad))

### Agenda

* [Leo/Lore] Driver build grid
    * hundreds of drivers
* [Fahad/Lore] Operational stability

### Action items

* [ ] [leogr] write the post
"""


def import_community(tmp_path: Path, text: str = COMMUNITY, newline: str = "\n"):
    path = tmp_path / "gizmo" / "2021-05-05.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return import_notes(sources=sources_from_paths([path]), series_slug="gizmo")


@pytest.mark.django_db
def test_every_presenter_of_an_item_is_resolved(tmp_path):
    import_community(tmp_path)
    items = AgendaItem.objects.order_by("position")
    assert [
        (item.presenter_names, sorted(p.github_handle for p in item.presenters.all()))
        for item in items
    ] == [
        ("Leo/Lore", ["fntlnz", "leogr"]),
        ("Fahad/Lore", ["farshad", "fntlnz"]),
    ]


@pytest.mark.django_db
def test_the_series_learns_how_its_notes_are_written(tmp_path):
    import_community(tmp_path)
    style = NotesStyle.from_dict(MeetingSeries.objects.get().notes_style)
    assert (style.bullet, style.indent) == ("*", 4)
    assert (style.title_level, style.date_level, style.section_level) == (1, 2, 3)
    assert style.label("video") == "Zoom Link"
    assert style.label("recording") == "Recording"  # nothing learned: Callbook's


@pytest.mark.django_db
def test_an_edited_call_exports_in_the_series_style_with_picked_people(tmp_path):
    import_community(tmp_path)
    meeting = Meeting.objects.get()
    assert render_meeting(meeting) == COMMUNITY  # unedited: its source
    ann = AttendeeFactory(display_name="Ann Lee", github_handle="annlee")
    first = meeting.agenda_items.get(position=0)
    first.presenters.add(ann)  # picked in the Presenters box
    first.discussion_notes = "* hundreds of drivers\r\n* typed in a browser"
    first.save()
    action = ActionItem.objects.get()
    action.owners.add(ann)
    new = AgendaItem.objects.create(
        series=meeting.series,
        meeting=meeting,
        title="Docs",
        status=AgendaItem.Status.DISCUSSED,
        position=5,
    )
    new.presenters.add(ann)
    exported = render_meeting(Meeting.objects.get())
    assert "\r" not in exported
    assert "[Zoom Link](https://zoom.example.org/gizmo)" in exported
    assert "* [Leo/Lore/annlee] Driver build grid" in exported
    assert "    * hundreds of drivers\n    * typed in a browser" in exported
    assert "* [annlee] Docs" in exported
    assert "* [ ] [leogr/annlee] write the post" in exported


@pytest.mark.django_db
def test_a_styled_export_reads_back_into_the_same_fields(tmp_path):
    # Two versions of one call: the meeting keeps the newer, merged, so it is
    # exported from its fields, in the learned style, and must round-trip.
    import_community(tmp_path)
    import_community(tmp_path, COMMUNITY + "\n* one more line\n")
    meeting = Meeting.objects.get()
    assert meeting.source_text == ""
    exported = render_meeting(meeting)
    assert exported.startswith("# Gizmo Community Call\n\n[More Information]")
    assert "* [Leo/Lore] Driver build grid\n    * hundreds of drivers" in exported
    diffs, _after = round_trip(default_series="gizmo", split_series=False)
    assert diffs == []


def test_presenters_as_written_are_kept_when_nobody_was_added():
    lore = PersonRef("Lorenzo Fontana", "fntlnz")
    leo = PersonRef("Leonardo Grasso", "leogr")
    item = AgendaItemData("Grid", presenter_names="Leo/Lore", presenters=[lore, leo])
    assert presenters_written(item) == "Leo/Lore"
    nibz = AgendaItemData("Talk", presenter_names="nibz", presenters=[lore])
    assert presenters_written(nibz) == "nibz"  # an alias: one name, one person
    picked = AgendaItemData("Talk", presenters=[lore, leo])
    assert presenters_written(picked) == "fntlnz/leogr"
