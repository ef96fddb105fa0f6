"""Every call's page as rendered now, to compare one version of the code with another.

    tests/bench/meeting_pages.py DATABASE_URL OUTDIR [--against OLD_OUTDIR]

Writes into OUTDIR, one file per call and variant, what the call page shows:
- `scratch/`: the whole page of every finalized call rendered from scratch
  (PUBLISHED_PAGES=false), as an anonymous visitor gets it through the WSGI
  handler, middleware included;
- `stored/`: the same pages with stored notes (PUBLISHED_PAGES=true), viewed
  twice: the first view renders and stores the notes when the stored ones are
  missing or were rendered by other code, the second serves them (both must
  equal the page rendered from scratch);
- `parts/`: the parts of every call (finalized or not) at a fixed moment, for an
  anonymous visitor and for staff, first page of proposals and second.

With --against, compares OUTDIR with an earlier OUTDIR file by file and prints
the first lines that differ; exit status 1 if any does. Run it on a copy of the
bench's database (the stored path writes PublishedPage rows), once with the old
code and once with the new. Measures nothing; not part of `make bench`.
"""

import datetime as dt
import difflib
import io
import os
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "bench.invalid"
# The moment the parts are rendered at, for calls whose page shows the clock.
MOMENT = dt.datetime(2026, 12, 3, 12, 0, tzinfo=dt.UTC)


def snapshot(out: Path) -> int:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        PAGE_CACHE="false",
        CLOCK_CACHE_SECONDS="0",
        ALLOWED_HOSTS=HOST,
        LOG_LEVEL="ERROR",
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("CACHE_URL", "db://callbook_cache")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import AnonymousUser
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    from meetings.models import Meeting
    from meetings.views import MeetingDetailView

    handler = WSGIHandler()

    def get(path: str) -> bytes:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": HOST,
            "SERVER_PORT": "443",
            "HTTP_HOST": HOST,
            "HTTP_X_FORWARDED_PROTO": "https",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        status = []
        body = handler(environ, lambda s, headers, *a: status.append(s))
        content = b"".join(body)
        body.close()
        assert status[0].startswith("200"), (path, status)
        return content

    meetings = list(
        Meeting.objects.select_related("series").order_by("start", "ordinal", "pk")
    )
    for folder in ("scratch", "stored", "parts"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    written = 0
    for meeting in meetings:
        name = f"{meeting.series.slug}_{meeting.date_key}"
        if meeting.is_finalized:
            path = meeting.get_absolute_url()
            settings.PUBLISHED_PAGES = False
            (out / "scratch" / f"{name}.html").write_bytes(get(path))
            settings.PUBLISHED_PAGES = True
            (out / "stored" / f"{name}.first.html").write_bytes(get(path))
            (out / "stored" / f"{name}.again.html").write_bytes(get(path))
            written += 3
        settings.PUBLISHED_PAGES = False
        for who in ("anonymous", "staff"):
            for page in (1, 2):
                request = RequestFactory(SERVER_NAME=HOST).get(
                    meeting.get_absolute_url()
                )
                # Staff is the view's argument; the templates ask nothing else.
                request.user = AnonymousUser()
                view = MeetingDetailView()
                view.setup(
                    request, series=meeting.series.slug, date_key=meeting.date_key
                )
                parts, frozen = view.render_parts(MOMENT, page, who == "staff")
                text = "".join(f"<!-- {k} -->\n{v}\n" for k, v in sorted(parts.items()))
                (out / "parts" / f"{name}.{who}.{page}.html").write_text(
                    f"<!-- frozen {frozen} -->\n{text}"
                )
                written += 1
    print(f"{written} files from {len(meetings)} calls in {out}")
    return 0


def compare(new: Path, old: Path) -> int:
    names = sorted(p.relative_to(old) for p in old.rglob("*.html"))
    missing = [n for n in names if not (new / n).exists()]
    extra = sorted(
        p.relative_to(new)
        for p in new.rglob("*.html")
        if not (old / p.relative_to(new)).exists()
    )
    differ = [
        n
        for n in names
        if (new / n).exists() and (new / n).read_bytes() != (old / n).read_bytes()
    ]
    for n in differ[:3]:
        diff = difflib.unified_diff(
            (old / n).read_text().splitlines(),
            (new / n).read_text().splitlines(),
            f"old/{n}",
            f"new/{n}",
            lineterm="",
            n=1,
        )
        print("\n".join(list(diff)[:40]))
    print(
        f"{len(names)} files: {len(differ)} differ, {len(missing)} missing,"
        f" {len(extra)} new"
    )
    return 1 if differ or missing or extra else 0


def main() -> int:
    args = sys.argv[1:]
    against = None
    if "--against" in args:
        at = args.index("--against")
        against = Path(args[at + 1])
        del args[at : at + 2]
    if len(args) != 2:
        print(__doc__)
        return 2
    os.environ["DATABASE_URL"] = args[0]
    out = Path(args[1])
    status = snapshot(out)
    if status == 0 and against is not None:
        status = compare(out, against)
    return status


if __name__ == "__main__":
    sys.exit(main())
