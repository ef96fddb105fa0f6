import datetime as dt
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agenda.models import ActionItem, AgendaItem
from agenda.notes.check import lossless_failures, round_trip
from agenda.notes.importer import NotesImportError, import_notes, sources_from_paths
from meetings.models import (
    GitHubReference,
    Meeting,
    MeetingSeries,
    PublishedPage,
    ReleaseTeam,
)
from meetings.views import publish_notes
from pagecache.models import SiteGeneration
from people.models import Alias, Attendee
from tests.factories import AliasFactory, AttendeeFactory, MeetingSeriesFactory

FIXTURES = Path(__file__).parent / "fixtures"


def sources(*names: str):
    return sources_from_paths([FIXTURES / name for name in names])


def run(*names: str, series: str = "widget", **kwargs):
    return import_notes(sources=sources(*names), series_slug=series, **kwargs)


def warnings_of(report, kind: str):
    return [
        (f.file, w["line"])
        for f in report.files
        for w in f.warnings
        if w["kind"] == kind
    ]


@pytest.mark.django_db
def test_a_call_from_another_community_with_every_part():
    report = run("widget/2021-03-03.md")
    assert report.failures == 0
    series = MeetingSeries.objects.get(slug="widget")
    assert series.title == "Widget Community Call"  # taken from the notes
    meeting = Meeting.objects.get()
    assert meeting.series == series
    assert meeting.date == dt.date(2021, 3, 3)
    assert meeting.status == Meeting.Status.FINALIZED
    assert meeting.title == ""
    assert meeting.video_url == "https://meet.example.org/widget"
    assert meeting.recording_url == "https://video.example.org/widget/2021-03-03"
    assert (meeting.source_file, meeting.source_lines) == ("2021-03-03.md", "1-41")
    assert len(meeting.source_hash) == 64

    # "Present": @handles without links; the template placeholder is dropped.
    attendances = list(meeting.attendances.select_related("attendee"))
    assert [a.attendee.github_handle for a in attendances] == [
        "ada-lovelace",
        "brooks",
        "chenwu",
        "danaruiz",
    ]
    assert [a.written_as for a in attendances] == [
        "@ada-lovelace",
        "Brook Stone (@brooks)",
        "Chen Wu ([@chenwu](https://github.com/chenwu)), Gizmo Inc",
        "[Dana Ruiz](https://github.com/danaruiz)",
    ]
    assert Attendee.objects.get(github_handle="chenwu").display_name == "Chen Wu"

    items = list(meeting.agenda_items.order_by("position"))
    assert [(i.title, i.presenter_names) for i in items] == [
        (
            "Release 2.4 planning ([widget#101](https://github.com/example/widget/issues/101))",
            "Ada/Brook",
        ),
        ("Docs overhaul (Chen)", "Chen"),
        (
            "[Migration guide](https://docs.example.org/migrate) walkthrough"
            " - @danaruiz",
            "@danaruiz",
        ),
        ("plugin API questions", "Dana"),
        ("Look at the flaky test suite", ""),
    ]
    assert [sorted(p.github_handle for p in i.presenters.all()) for i in items] == [
        ["ada-lovelace", "brooks"],
        ["chenwu"],
        ["danaruiz"],
        ["danaruiz"],
        [],
    ]
    assert items[0].discussion_notes == (
        "- Freeze next Friday\n- ACTION: Brook to prepare the changelog"
    )
    assert "# not a heading" in items[3].discussion_notes
    assert items[0].links == "https://github.com/example/widget/issues/101"
    assert all(i.status == AgendaItem.Status.DISCUSSED for i in items)

    actions = list(meeting.action_items.order_by("position"))
    assert [
        (a.description, a.status, a.owner_names, a.agenda_item_id) for a in actions
    ] == [
        ("Brook to prepare the changelog", "open", "Brook", items[0].pk),
        ("Chen to bisect the failures", "suggested", "Chen", items[4].pk),
        ("write the migration FAQ", "open", "Chen", None),
        ("publish the survey results", "done", "Ada", None),
    ]
    assert [
        list(a.owners.values_list("github_handle", flat=True)) for a in actions
    ] == [
        ["brooks"],
        ["chenwu"],
        ["chenwu"],
        ["ada-lovelace"],
    ]
    assert meeting.next_mc.github_handle == "brooks"
    assert meeting.next_release == "2.4.0 on March 17th (lead: Ada, help: Chen)"
    team = ReleaseTeam.objects.get()
    assert (team.version, team.lead.github_handle, team.planned_date) == (
        "2.4.0",
        "ada-lovelace",
        dt.date(2021, 3, 17),
    )
    assert list(team.members.values_list("github_handle", flat=True)) == ["chenwu"]
    assert team.meeting == meeting
    assert [str(r) for r in GitHubReference.objects.all()] == ["example/widget#101"]
    # Exactly what the rendered page links to: a later sync finds nothing to change.
    meeting = GitHubReference.objects.get().meeting
    assert meeting.github_references_in_notes() == {("example", "widget", 101)}
    # A link nobody has a field for stays in the free notes, verbatim.
    assert meeting.notes == "**Minutes**: https://docs.example.org/widget/minutes"
    assert lossless_failures(report, sources("widget/2021-03-03.md")).ok


@pytest.mark.django_db
def test_with_series_alone_every_call_goes_to_that_series():
    report = run("widget/2021-03-03.md", "widget/office-hours-2021-03-10.md")
    assert report.series == ["widget"]
    assert MeetingSeries.objects.get().meetings.count() == 2


@pytest.mark.django_db
def test_calls_titled_after_another_recurring_call_go_to_their_own_series():
    report = run(
        "widget/2021-03-03.md", "widget/office-hours-2021-03-10.md", split_series=True
    )
    assert sorted(report.series) == ["widget", "widget-office-hours"]
    office_hours = MeetingSeries.objects.get(slug="widget-office-hours")
    assert office_hours.title == "Widget Office Hours"
    meeting = office_hours.meetings.get()
    assert meeting.date == dt.date(2021, 3, 10)
    assert meeting.mc.github_handle == "brooks"
    assert [i.title for i in meeting.agenda_items.all()] == [
        "How do I write a widget plugin?"
    ]
    assert MeetingSeries.objects.get(slug="widget").meetings.count() == 1


@pytest.mark.django_db
def test_an_existing_series_gets_the_calls_of_its_title_and_the_untitled_ones():
    series = MeetingSeriesFactory(slug="gadget", title="Gadget Sync")
    report = run("gadget/gadget-archive.md", series="gadget")
    assert report.series == ["gadget"]
    assert series.meetings.count() == 3
    assert MeetingSeries.objects.count() == 1


@pytest.mark.django_db
def test_archives_keep_two_calls_of_one_day_cancelled_calls_and_notices():
    report = run("gadget/gadget-archive.md", series="gadget")
    by_key = {m.date_key: m for m in Meeting.objects.all()}
    assert sorted(by_key) == ["2022-05-04", "2022-05-04-2", "2022-05-11"]
    assert warnings_of(report, "second_call_same_date") == [("gadget-archive.md", 53)]
    assert by_key["2022-05-04"].status == Meeting.Status.CANCELLED
    assert by_key["2022-05-04-2"].status == Meeting.Status.FINALIZED
    latest = by_key["2022-05-11"]
    assert latest.mc.github_handle == "evepark"
    assert latest.info_url == "https://gadget.example.org/community"
    assert latest.video_url == "https://meet.example.org/gadget"
    assert [a.attendee.display_name for a in latest.attendances.all()] == [
        "Eve Park",
        "Finn Olsen",
        "Gus",
    ]
    benchmark, roadmap = latest.agenda_items.order_by("position")
    assert benchmark.discussion_notes.startswith("| run | ms |")
    assert roadmap.discussion_notes.startswith('> quoted from the proposal: "ship it"')
    assert sorted(roadmap.presenters.values_list("github_handle", flat=True)) == [
        "evepark",
        "gus-dev",
    ]
    assert (
        latest.notes == "## HOLIDAY NOTICE\n\nNo call next week: see you on May 25th! 🏖️"
    )
    assert set(latest.action_items.values_list("description", "status")) == {
        ("Eve to draft the Q3 plan", "suggested"),
        ("ask the users group", "open"),
    }
    assert latest.next_mc.github_handle == "finno"


@pytest.mark.django_db
def test_an_overlapping_archive_adds_only_the_new_calls():
    run("gadget/gadget-archive.md", series="gadget")
    report = run("gadget/gadget-older.md", series="gadget")
    (older,) = report.files
    assert (older.calls_found, older.new, older.updated, older.duplicate) == (
        2,
        1,
        0,
        1,
    )
    assert [c.outcome for c in older.calls] == ["duplicate", "new"]
    assert Meeting.objects.count() == 4
    first = Meeting.objects.get(date=dt.date(2022, 4, 27))
    assert first.agenda_items.get().presenter_names == "Ida"
    assert list(first.github_refs.values_list("repo", "number")) == [("gadget", 7)]


@pytest.mark.django_db
def test_importing_the_same_files_twice_changes_nothing():
    names = ("gadget/gadget-archive.md", "gadget/gadget-older.md")
    run(*names, series="gadget")
    counts = [
        model.objects.count()
        for model in (Meeting, AgendaItem, ActionItem, Attendee, Alias, ReleaseTeam)
    ]
    histories = [Meeting.history.count(), AgendaItem.history.count()]
    stamps = list(Meeting.objects.order_by("pk").values_list("updated_at", "version"))
    again = run(*names, series="gadget")
    assert (again.total_new, again.total_updated) == (0, 0)
    assert again.total_duplicate == again.total_calls == 5
    assert [
        model.objects.count()
        for model in (Meeting, AgendaItem, ActionItem, Attendee, Alias, ReleaseTeam)
    ] == counts
    assert [Meeting.history.count(), AgendaItem.history.count()] == histories
    assert list(
        Meeting.objects.order_by("pk").values_list("updated_at", "version")
    ) == (stamps)


def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, "utf-8")
    return path


@pytest.mark.django_db
def test_an_edited_version_updates_its_meeting_and_keeps_what_only_the_old_had(
    tmp_path,
):
    old = "## 2022-06-01\n\n### Agenda\n\n- [ann] Release\n    - due on 3rd june\n"
    new = "## 2022-06-01\n\n### Agenda\n\n- [ann] Release\n    - expected on 3rd june\n"
    import_notes(
        sources=sources_from_paths([_write(tmp_path, "a.md", old)]), series_slug="w"
    )
    report = import_notes(
        sources=sources_from_paths([_write(tmp_path, "b.md", new)]), series_slug="w"
    )
    assert report.total_updated == 1
    meeting = Meeting.objects.get()
    assert meeting.version == 2
    assert meeting.agenda_items.get().discussion_notes == "- expected on 3rd june"
    assert meeting.notes == (
        "Lines only in the version of these notes in a.md (lines 1-6):\n\n"
        "- due on 3rd june"
    )
    assert meeting.source_file == "b.md"
    # The old version is now entirely in the meeting: a duplicate, not a change.
    again = import_notes(
        sources=sources_from_paths([tmp_path / "a.md"]), series_slug="w"
    )
    assert again.total_duplicate == 1


@pytest.mark.django_db
def test_a_dry_run_reports_everything_and_stores_nothing():
    report = run("gadget/gadget-archive.md", series="gadget", dry_run=True)
    assert report.dry_run
    assert report.total_new == 3
    assert Meeting.objects.count() == 0
    assert Attendee.objects.count() == 0
    assert MeetingSeries.objects.count() == 0


@pytest.mark.django_db
def test_each_file_stands_alone_and_failures_name_file_and_line():
    bad = ("broken.md", "## 2020-01-01\n\n- caf\xe9\n".encode("latin-1"))
    report = import_notes(
        sources=[bad, *sources("widget/no-date.md", "gadget/gadget-archive.md")],
        series_slug="gadget",
    )
    assert [(f.file, f.error) for f in report.files if f.failed] == [
        (
            "broken.md",
            {
                "message": "not UTF-8 text: byte 0xe9 cannot be decoded "
                "(save the file as UTF-8)",
                "line": 3,
            },
        ),
        (
            "no-date.md",
            {
                "message": "no call found: no date in a # or ## heading, on a line "
                "of its own or in the file name",
                "line": 1,
            },
        ),
    ]
    assert report.failures == 2
    assert Meeting.objects.count() == 3


@pytest.mark.django_db
def test_people_are_matched_by_handle_then_alias_then_name(tmp_path):
    ann = AttendeeFactory(display_name="Ann Lee", github_handle="annlee")
    AliasFactory(attendee=ann, name="Annie")
    bo = AttendeeFactory(display_name="Bo Chen", github_handle="")
    notes = (
        "## 2021-01-01\n\n### MC\n\n- Annie\n\n### Who joined\n\n"
        "- A. Lee ([@ANNLEE](https://github.com/annlee))\n- Bo Chen\n"
        "- Spencer Krum(nibz)\n- Cy Doe ([@cy](https://github.com/cy))\n\n"
        "### Agenda\n\n- [nibz] Workshop\n- [Cy] Release\n"
    )
    import_notes(
        sources=sources_from_paths([_write(tmp_path, "n.md", notes)]), series_slug="w"
    )
    meeting = Meeting.objects.get()
    assert meeting.mc == ann
    joined = [a.attendee for a in meeting.attendances.all()]
    assert joined[:2] == [ann, bo]
    spencer, cy = joined[2:]
    assert (spencer.display_name, spencer.github_handle) == ("Spencer Krum", "")
    assert (cy.display_name, cy.github_handle) == ("Cy Doe", "cy")
    assert Attendee.objects.count() == 4
    assert set(Alias.objects.values_list("attendee__display_name", "name")) == {
        ("Ann Lee", "Annie"),
        ("Ann Lee", "A. Lee"),
        ("Spencer Krum", "nibz"),
    }
    workshop, release = meeting.agenda_items.order_by("position")
    assert list(workshop.presenters.all()) == [spencer]
    assert list(release.presenters.all()) == [cy]


@pytest.mark.django_db
def test_displayed_handles_that_differ_from_the_link_and_unknown_presenters(tmp_path):
    notes = (
        "## 2021-01-01\n\n### Who joined\n\n"
        "- Radu ([@admir-al0](https://github.com/admiral0))\n\n"
        "### Agenda\n\n- [Zed] Something\n"
    )
    report = import_notes(
        sources=sources_from_paths([_write(tmp_path, "n.md", notes)]), series_slug="w"
    )
    assert Attendee.objects.get().github_handle == "admiral0"
    assert warnings_of(report, "handle_mismatch") == [("n.md", 5)]
    assert warnings_of(report, "unresolved_presenter") == [("n.md", 9)]
    item = AgendaItem.objects.get()
    assert (item.presenter_names, item.presenters.count()) == ("Zed", 0)
    assert report.to_dict()["totals"]["warnings"] == {
        "handle_mismatch": 1,
        "unresolved_presenter": 1,
    }


@pytest.mark.django_db
def test_nothing_is_lost_and_export_then_import_gives_everything_back():
    names = (
        "widget/2021-03-03.md",
        "widget/office-hours-2021-03-10.md",
        "gadget/gadget-archive.md",
        "gadget/gadget-older.md",
    )
    report = run(*names, series="gadget", split_series=True)
    lossless = lossless_failures(report, sources(*names))
    assert lossless.ok, lossless.missing
    assert lossless.lines_checked > 100
    diffs, after = round_trip(default_series="gadget")
    assert diffs == []
    assert len(after["meetings"]) == Meeting.objects.count() == 6


def test_a_series_slug_is_checked_first():
    with pytest.raises(NotesImportError, match="is not a series slug"):
        import_notes(sources=[], series_slug="not a slug!")


@pytest.mark.django_db
def test_a_file_that_breaks_while_writing_is_rolled_back_alone(monkeypatch):
    from agenda.notes import importer as notes_import

    real_flush = notes_import._Writer.flush

    def flush(self):
        if self.file.endswith("gadget-archive.md") and self.pending:
            raise RuntimeError("disk full")
        return real_flush(self)

    monkeypatch.setattr(notes_import._Writer, "flush", flush)
    report = run(
        "widget/2021-03-03.md",
        "gadget/gadget-archive.md",
        series="w",
        split_series=True,
    )
    failed = {f.file: f.error for f in report.files if f.failed}
    assert failed == {
        "gadget-archive.md": {"message": "RuntimeError: disk full", "line": 1}
    }
    assert list(Meeting.objects.values_list("date", flat=True)) == [dt.date(2021, 3, 3)]
    assert not Attendee.objects.filter(github_handle="evepark").exists()
    assert not MeetingSeries.objects.filter(title="Gadget Sync").exists()


def stamp_writes(queries) -> int:
    table = connection.ops.quote_name(SiteGeneration._meta.db_table)
    return sum(q["sql"].startswith(f"UPDATE {table}") for q in queries)


@pytest.mark.django_db
def test_an_import_bumps_the_site_stamp_once_a_file():
    stamp, _changed_at = SiteGeneration.current()  # the row exists, as on a site
    with CaptureQueriesContext(connection) as queries:
        report = run(
            "widget/2021-03-03.md",
            "gadget/gadget-archive.md",
            series="w",
            split_series=True,
        )
    assert report.failures == 0
    assert report.total_new == 4
    # One for each file, one for the closing fingerprints; not one a row.
    assert stamp_writes(queries) == 3
    assert SiteGeneration.current()[0] != stamp


@pytest.mark.django_db
def test_handles_learned_by_a_file_look_for_their_people_calls_once():
    AttendeeFactory(display_name="Dana Ruiz", github_handle="")
    AttendeeFactory(display_name="Chen Wu", github_handle="")
    with CaptureQueriesContext(connection) as queries:
        run("widget/2021-03-03.md")
    assert set(
        Attendee.objects.filter(display_name__in=["Dana Ruiz", "Chen Wu"]).values_list(
            "github_handle", flat=True
        )
    ) == {"danaruiz", "chenwu"}
    assert sum(" UNION " in q["sql"] for q in queries) == 1


@pytest.mark.django_db
def test_a_file_that_fails_changes_neither_the_stamp_nor_stored_notes(
    monkeypatch, settings, tmp_path, django_capture_on_commit_callbacks
):
    from agenda.notes import importer as notes_import

    settings.PUBLISHED_PAGES = True
    run("widget/2021-03-03.md")
    assert publish_notes(Meeting.objects.all()) == 1
    pages = list(PublishedPage.objects.values_list("meeting_id", "token", "body"))
    stamp = SiteGeneration.current()
    # Another version of the call, which breaks after its old rows are gone and
    # the call is written again.
    text = (FIXTURES / "widget/2021-03-03.md").read_text("utf-8")
    changed = tmp_path / "2021-03-03.md"
    changed.write_text(text.replace("Freeze next Friday", "Freeze on Monday"))
    real_flush = notes_import._Writer.flush

    def flush(self):
        if self.pending:
            raise RuntimeError("disk full")
        return real_flush(self)

    monkeypatch.setattr(notes_import._Writer, "flush", flush)
    with django_capture_on_commit_callbacks(execute=True):
        report = import_notes(
            sources=sources_from_paths([changed]), series_slug="widget"
        )
    assert [f.error for f in report.files] == [
        {"message": "RuntimeError: disk full", "line": 1}
    ]
    assert SiteGeneration.current() == stamp
    assert (
        list(PublishedPage.objects.values_list("meeting_id", "token", "body")) == pages
    )
    assert "Freeze next Friday" in pages[0][2]
