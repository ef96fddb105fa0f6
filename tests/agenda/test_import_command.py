import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from meetings.models import Meeting

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.mark.django_db
def test_import_notes_prints_a_summary_and_writes_a_json_report(tmp_path):
    out = StringIO()
    report_path = tmp_path / "report.json"
    call_command(
        "import_notes",
        str(FIXTURES / "gadget"),
        "--series",
        "gadget",
        "--report",
        str(report_path),
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    assert lines[0] == (
        "gadget/gadget-archive.md: 3 calls, 3 new, 0 updated, 0 duplicate, 1 warnings"
    )
    assert lines[1] == (
        "  gadget/gadget-archive.md:53: second_call_same_date: another call of "
        "'Gadget Sync' on 2022-05-04 differs from this one: stored as call 2 of "
        "that day"
    )
    assert lines[2] == (
        "gadget/gadget-older.md: 2 calls, 1 new, 0 updated, 1 duplicate, 0 warnings"
    )
    assert lines[3].startswith(
        "2 files, 5 calls: 4 new, 0 updated, 1 duplicate; 0 failed; "
        "warnings: second_call_same_date=1; "
    )
    report = json.loads(report_path.read_text("utf-8"))
    assert report["totals"] == {
        "files": 2,
        "failed": 0,
        "calls_found": 5,
        "new": 4,
        "updated": 0,
        "duplicate": 1,
        "warnings": {"second_call_same_date": 1},
    }
    archive = report["files"][0]
    assert archive["status"] == "ok"
    assert [c["date_key"] for c in archive["calls"]] == [
        "2022-05-11",
        "2022-05-04",
        "2022-05-04-2",
    ]
    assert archive["warnings"][0] == {
        "kind": "second_call_same_date",
        "line": 53,
        "message": "another call of 'Gadget Sync' on 2022-05-04 differs from this "
        "one: stored as call 2 of that day",
    }
    assert Meeting.objects.count() == 4


@pytest.mark.django_db
def test_import_notes_dry_run_and_failures_exit_non_zero():
    out = StringIO()
    with pytest.raises(CommandError, match=r"1 file\(s\) could not be imported"):
        call_command(
            "import_notes",
            str(FIXTURES / "widget"),
            "--series",
            "widget",
            "--dry-run",
            stdout=out,
        )
    text = out.getvalue()
    assert (
        "FAILED widget/no-date.md:1: no call found: no date in a # or ## heading, "
        "on a line of its own or in the file name"
    ) in text
    assert text.splitlines()[-1].startswith("DRY RUN: 3 files, 2 calls: 2 new")
    assert Meeting.objects.count() == 0


def test_import_notes_needs_existing_paths(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        call_command("import_notes", str(tmp_path / "missing"), "--series", "x")
    with pytest.raises(CommandError, match="no .md files found"):
        call_command("import_notes", str(tmp_path), "--series", "x")


@pytest.mark.django_db
def test_corpus_check_on_a_small_folder(tmp_path):
    out = StringIO()
    call_command(
        "corpus_check", str(FIXTURES / "gadget"), "--series", "gadget", stdout=out
    )
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith(
        "corpus-check: files=2 calls=5 meetings=4 failures=0 roundtrip=ok "
        "lossless=ok seconds="
    )
    figures = dict(line.split(": ", 1) for line in lines[:-1])
    figures = {key.strip(): value for key, value in figures.items()}
    assert figures["cancelled"] == "1"
    assert figures["meetings with an MC"] == "1"
    assert figures["attendee entries"] == "8"
    assert figures["lines lost"] == "0"


@pytest.mark.django_db
def test_corpus_check_fails_loudly_on_a_failed_file(tmp_path):
    (tmp_path / "2020-01-01.md").write_text("## 2020-01-01\n\n- fine\n", "utf-8")
    (tmp_path / "broken.md").write_bytes(b"## 2020-01-02\n\xff\n")
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("corpus_check", str(tmp_path), stdout=out)
    assert exit_info.value.code == 1
    assert (
        out.getvalue()
        .splitlines()[-1]
        .startswith(
            "corpus-check: files=2 calls=1 meetings=1 failures=1 roundtrip=ok "
            "lossless=ok seconds="
        )
    )


@pytest.mark.django_db
def test_corpus_check_wants_an_empty_database(tmp_path):
    from tests.factories import MeetingFactory

    MeetingFactory()
    with pytest.raises(CommandError, match="already has meetings"):
        call_command("corpus_check", str(FIXTURES / "gadget"))
