"""App CPU per request and queries per page, rendered without any cache.

    tests/bench/render_cpu.py URL [URL ...]      # one PostgreSQL database each

Each URL is a database filled by `manage.py generate_fake_community` (migrated,
with its cache table). For each, a child process with the bench's production
settings (DEBUG off, PAGE_CACHE=false, CLOCK_CACHE_SECONDS=0) sends requests
through Django's WSGI handler, middleware included, as gunicorn would, and
reports process CPU milliseconds per request (time.process_time, so waiting on
PostgreSQL is not counted), wall milliseconds (PostgreSQL's work included; noisy
on a busy machine) and the queries of one request. The meeting page
rotates over up to 200 finalized calls, as the bench's cache-off row does. With
two or more databases it also prints each page's ratio of CPU and of wall time
(last database to first).

Measures in-process, no load generator: safe on a shared machine. Not part of
`make bench`. Env: RENDER_CPU_ROUNDS (default 3, requests = rounds x 200 for
the meeting, x 100 for other pages), RENDER_CPU_PAGES (comma list of names).
"""

import io
import json
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HOST = "bench.invalid"


def child() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="false",
        PAGE_CACHE="false",
        CLOCK_CACHE_SECONDS="0",
        ALLOWED_HOSTS=HOST,
        CONN_MAX_AGE="60",
        LOG_LEVEL="ERROR",
        # X-Queries from config/middleware.py, as the bench's servers send it.
        BENCH_QUERY_HEADER="true",
    )
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("CACHE_URL", "db://callbook_cache")
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db.models import Count

    from meetings.models import Meeting
    from people.models import Attendee

    handler = WSGIHandler()
    finalized = Meeting.objects.finalized().order_by("-start")
    # As tests/bench/discover.py: typical calls (no release team) spread over
    # the whole archive.
    typical = list(
        finalized.filter(release_teams__isnull=True).values_list("pk", flat=True)
    )
    step = max(1, len(typical) // 200)
    rotation = [
        m.get_absolute_url()
        for m in Meeting.objects.filter(pk__in=typical[::step][:200])
        .select_related("series")
        .order_by("-start")
    ]
    person = Attendee.objects.annotate(n=Count("attendances")).order_by("-n").first()
    upcoming = Meeting.objects.scheduled().upcoming().select_related("series").first()
    deep = finalized.order_by("start", "pk").values_list("pk", flat=True)[20:21]
    pages = {
        "meeting": rotation,
        "call page": [upcoming.get_absolute_url()],
        "references": ["/refs/"],
        "person": [person.get_absolute_url()],
        "home": ["/"],
        "archive": ["/calls/"],
        "archive deep": [f"/calls/?older={deep[0]}"],
        "atom feed": ["/feeds/notes/"],
    }
    only = [x for x in os.environ.get("RENDER_CPU_PAGES", "").split(",") if x]
    rounds = int(os.environ.get("RENDER_CPU_ROUNDS", "3"))

    def get(path: str) -> tuple[int, int]:
        path, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_NAME": HOST,
            "SERVER_PORT": "443",
            "HTTP_HOST": HOST,
            "HTTP_X_FORWARDED_PROTO": "https",
            "HTTP_ACCEPT_ENCODING": "gzip",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        answer = []
        body = handler(environ, lambda status, headers, *a: answer.append(status))
        for _chunk in body:
            pass
        body.close()
        return int(answer[0].split()[0]), int(body.headers["X-Queries"])

    figures = {}
    for name, paths in pages.items():
        if only and name not in only:
            continue
        for path in paths[:5]:  # warm: connection, templates, first imports
            code, _ = get(path)
            assert code == 200, (path, code)
        queries = sorted(get(path)[1] for path in paths[:9])
        n = rounds * (200 if len(paths) > 1 else 100)
        began, wall = time.process_time(), time.perf_counter()
        for i in range(n):
            get(paths[i % len(paths)])
        ms = (time.process_time() - began) * 1000 / n
        figures[name] = {
            "ms": round(ms, 2),
            "wall_ms": round((time.perf_counter() - wall) * 1000 / n, 2),
            "queries": queries[len(queries) // 2],
            "queries_range": [queries[0], queries[-1]],
            "calls": finalized.count(),
        }
    print(json.dumps(figures))


def main() -> int:
    urls = sys.argv[1:]
    if not urls:
        print(__doc__)
        return 2
    results = []
    for url in urls:
        out = subprocess.run(
            [sys.executable, __file__, "--child"],
            env={**os.environ, "DATABASE_URL": url},
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        if out.returncode:
            print(out.stderr, file=sys.stderr)
            return out.returncode
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    head = "".join(
        f"  {r[next(iter(r))]['calls']:>5} calls: cpu, wall, q" for r in results
    )
    print(f"{'page':<14}{head}" + ("   ratio cpu, wall" if len(results) > 1 else ""))
    for name in results[0]:
        cells = "".join(
            f"  {r[name]['ms']:>7.2f} {r[name]['wall_ms']:>7.2f} ms"
            f" {r[name]['queries']:>3}"
            for r in results
        )
        ratio = (
            f"   {results[-1][name]['ms'] / results[0][name]['ms']:.2f}"
            f" {results[-1][name]['wall_ms'] / results[0][name]['wall_ms']:.2f}"
            if len(results) > 1
            else ""
        )
        print(f"{name:<14}{cells}{ratio}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["--child"]:
        child()
    else:
        sys.exit(main())
