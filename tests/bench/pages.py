"""The pages `make bench` loads. Add a page here and it gets a row in the table.

Each path is a format string filled from the facts that `discover.py` reads from
the database (a finalized meeting in the middle of the archive, the person with the
longest history, the next call's propose form). A page that answers 404 today (the
public site not merged yet) is reported as "missing", never loaded.
"""

from typing import NamedTuple


class Page(NamedTuple):
    name: str
    path: str
    # A list of discover.py's facts: each request takes the next of its paths
    # (rotate.lua), e.g. a different finalized call every time.
    rotate: str = ""


PAGES = [
    Page("home", "/"),
    Page("archive", "/calls/"),
    Page("archive deep", "{archive_deep}"),
    Page("meeting", "{meeting}", rotate="meeting_rotation"),
    Page("call page", "{call}"),
    Page("person", "{person}"),
    Page("references", "/refs/"),
    Page("search", "/search/?q=plugin+release"),
    Page("search common", "/search/?q={common_term}"),
    Page("ics feed", "/calls.ics"),
    Page("atom feed", "/feeds/notes/"),
    Page("propose form", "{propose}"),
]
# The same pages again once 8 adversarial proposals (descriptions built to make a
# markdown renderer backtrack: bracket and emphasis runs, deep nesting) sit on the
# upcoming call; each row is held to its own figures without them.
ADVERSARIAL_PAGES = {"home": "home +8 hostile", "call page": "call +8 hostile"}
ADVERSARIAL_PROPOSALS = 8
# Pages whose figures are held to the static-file target (0.7x rps, p99 < 50 ms).
STATIC_TARGET_PAGES = {"meeting", "archive", "archive deep", "person"}
# The static baselines, a file as large as the meeting page: "static python" a
# plain Python static server (WhiteNoise alone under gunicorn, no Django: every
# "x static" of a row straight to the app is taken against it), "static nginx"
# nginx itself (deploy/nginx.conf; the reference of the rows through nginx), and
# "static file" the same file through the app process (Django + WhiteNoise).
STATIC_PAGE = Page("static file", "/static/bench/baseline.html")
NGINX_STATIC_PAGE = Page("static nginx", "/static/bench/baseline.html")
PYTHON_STATIC_PAGE = Page("static python", "/static/bench/baseline.html")

# Staged states of the upcoming call (tests/bench/scenario.py), cache on: home and
# the call page with 1,000 proposals on the next call, and while a call is on.
CROWD_PROPOSALS = 1000
SCENARIO_PAGES = {
    "crowd": {"home": "home +1000 props", "call page": "call +1000 props"},
    "during": {"home": "home during call", "call page": "call during call"},
}
# Through nginx in front of two app servers (cache on): the cached pages.
NGINX_PAGES = ["meeting", "archive", "archive deep", "person", "home"]
