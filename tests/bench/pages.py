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


PAGES = [
    Page("home", "/"),
    Page("archive", "/calls/"),
    Page("archive deep", "/calls/?page=last"),
    Page("meeting", "{meeting}"),
    Page("call page", "{call}"),
    Page("person", "{person}"),
    Page("references", "/refs/"),
    Page("search", "/search/?q=plugin+release"),
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
STATIC_PAGE = Page("static file", "/static/bench/baseline.html")
