"""The bench's own tools, on local stand-ins until the real pages exist.

The proposal writer must fill a form the way a person does (honeypot untouched),
carry the CSRF cookie, and count accepted, rejected and failed posts exactly; the
notes archive must hold the requested number of files.
"""

import shutil
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import connection

from tests.bench.run import (
    HOSTILE_DESCRIPTIONS,
    FormParser,
    Server,
    fill_proposal,
    post_proposal,
    propose_under_load,
    vacuum,
    write_notes_archive,
    wrk,
)
from tests.e2e import servers
from tests.factories import MeetingFactory

FORM = """<html><body><form method="get" action="/search/"><input name="q"></form>
<form method="post">
<input type="hidden" name="csrfmiddlewaretoken" value="tok123">
<input name="proposer_name"><input name="proposer_handle">
<input name="title"><textarea name="description"></textarea>
<select name="requested_minutes"><option value="5">5</option>
<option value="10">10</option></select>
<input name="website" class="hp"><input type="submit" value="Propose">
</form></body></html>"""


def test_the_form_parser_reads_the_post_form_only():
    parser = FormParser()
    parser.feed(FORM)
    assert "q" not in parser.fields
    assert parser.fields["csrfmiddlewaretoken"] == "tok123"
    assert parser.fields["requested_minutes"] == "5"
    assert parser.kinds["description"] == "textarea"


def test_a_proposal_is_filled_like_a_person_would():
    parser = FormParser()
    parser.feed(FORM)
    values = fill_proposal(parser.fields, parser.kinds, "Bench proposal x")
    assert values["title"] == "Bench proposal x"
    assert values["proposer_name"] == "Bench Visitor"
    assert values["csrfmiddlewaretoken"] == "tok123"
    assert values["website"] == ""  # the honeypot stays empty
    assert values["proposer_handle"] == ""


class FakeProposals(BaseHTTPRequestHandler):
    """Accepts every third post with a 302, refuses one with 429, fails one."""

    stored: list[str] = []
    posts = 0
    lock = threading.Lock()

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = FORM.encode()
        self.send_response(200)
        self.send_header("Set-Cookie", "csrftoken=abc; Path=/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        form = urllib.parse.parse_qs(self.rfile.read(length).decode())
        with self.lock:
            type(self).posts += 1
            turn = self.posts % 3
        ok = (
            "csrftoken=abc" in self.headers.get("Cookie", "")
            and form["csrfmiddlewaretoken"] == ["tok123"]
            and "website" not in form
        )
        status = 500 if not ok else (302, 429, 200)[turn]
        if status == 302:
            with self.lock:
                self.stored.append(form["title"][0])
        self.send_response(status)
        self.send_header("Content-Length", "0")
        if status == 302:
            self.send_header("Location", "/thanks/")
        self.end_headers()


class Backlogged(ThreadingHTTPServer):
    request_queue_size = 64  # 16 clients connect at once, as on gunicorn


@pytest.fixture
def fake_server():
    httpd = Backlogged(("127.0.0.1", 0), FakeProposals)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    server = Server({}, log_path=None)
    server.port = httpd.server_address[1]
    yield server
    httpd.shutdown()
    httpd.server_close()


def test_the_writer_counts_every_answer_and_remembers_accepted_titles(fake_server):
    FakeProposals.stored, FakeProposals.posts = [], 0
    result = propose_under_load(fake_server, "/calls/x/2030-01-01/propose/", 0.5)
    assert result["5xx"] == 0
    assert result["failed"] == 0
    assert result["accepted"] > 0
    total = result["accepted"] + result["rate_limited"] + result["rejected"]
    assert total == FakeProposals.posts
    assert sorted(result["titles"]) == sorted(FakeProposals.stored)
    assert abs(result["accepted"] - result["rate_limited"]) <= 16


def test_the_notes_archive_has_one_file_per_call(tmp_path):
    write_notes_archive(tmp_path / "notes", 12)
    files = sorted((tmp_path / "notes").glob("*.md"))
    assert len(files) == 12
    text = files[0].read_text()
    assert text.startswith("# Community Call - Meeting 2019-06-05")
    assert "**Who joined**:" in text
    assert "([@person0](https://github.com/person0))" in text


def test_hostile_proposals_fit_the_form_and_go_through_it(fake_server):
    from agenda.forms import DESCRIPTION_MAX_LENGTH
    from tests.bench.pages import ADVERSARIAL_PROPOSALS

    assert len(HOSTILE_DESCRIPTIONS) == ADVERSARIAL_PROPOSALS
    assert all(
        4900 <= len(text) <= DESCRIPTION_MAX_LENGTH for text in HOSTILE_DESCRIPTIONS
    )
    FakeProposals.stored, FakeProposals.posts = [], 0
    statuses = [
        post_proposal(fake_server, "/calls/x/2030-01-01/propose/", f"Hostile {n}", "[")
        for n in range(3)
    ]
    assert statuses == [429, 200, 302]  # the fake's turns: each answer passed on
    assert FakeProposals.stored == ["Hostile 2"]


class Recorder(BaseHTTPRequestHandler):
    """Answers 200 and remembers every path asked for."""

    paths: list[str] = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.paths.append(self.path)
        body = b"ok"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_wrk_rotates_over_every_path_and_reports_its_figures():
    """A cache-off row must load a different call per request (rotate.lua)."""
    if shutil.which("wrk") is None:  # `make bench` installs it; CI runs no bench
        pytest.skip("wrk is missing (apt-get install wrk)")
    Recorder.paths = []
    httpd = Backlogged(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        paths = [f"/calls/fake/2020-01-{day:02d}/" for day in range(1, 21)]
        figures = wrk(httpd.server_address[1], paths, 1)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert figures["errors"] == 0
    assert figures["requests"] >= len(paths)
    assert set(Recorder.paths) == set(paths)
    # Consecutive requests of one connection never repeat a path.
    assert Recorder.paths[0] != Recorder.paths[1]


def test_the_page_comparison_fails_on_any_difference(tmp_path, capsys):
    from tests.bench.meeting_pages import compare

    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old / "scratch", new / "scratch"):
        folder.mkdir(parents=True)
        (folder / "a.html").write_text("<p>same</p>\n")
    (old / "scratch" / "b.html").write_text("<p>one</p>\n")
    (new / "scratch" / "b.html").write_text("<p>one</p>\n")
    assert compare(new, old) == 0
    (new / "scratch" / "b.html").write_text("<p>one </p>\n")
    assert compare(new, old) == 1
    assert "-<p>one</p>" in capsys.readouterr().out
    (new / "scratch" / "b.html").write_text("<p>one</p>\n")
    (new / "scratch" / "c.html").write_text("<p>new</p>\n")
    assert compare(new, old) == 1
    (new / "scratch" / "c.html").unlink()
    (new / "scratch" / "a.html").unlink()
    assert compare(new, old) == 1
    assert "1 missing" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_the_bench_vacuums_so_its_rows_measure_a_settled_archive():
    if connection.vendor != "postgresql":
        pytest.skip("VACUUM is PostgreSQL's.")
    MeetingFactory.create_batch(30)
    vacuum({"DATABASE_URL": servers.test_database_url()}, "the test")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpages, relallvisible FROM pg_class WHERE relname = %s",
            ["meetings_meeting"],
        )
        pages, visible = cursor.fetchone()
    # Analyzed (the planner knows its size) and every page marked all-visible.
    assert pages > 0
    assert visible == pages
