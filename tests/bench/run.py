"""`make bench`: serve synthetic communities with gunicorn and load them with wrk.

Run inside tests/with_postgres.sh (DATABASE_URL points at a throwaway cluster):

    tests/with_postgres.sh .venv/bin/python tests/bench/run.py

1. Generates a small (50 calls) and a large (2,000 calls, 40,000 agenda items, 800
   people, 10,000 action items) community, each in its own database of the cluster.
2. For each size, with the page cache on and off, starts gunicorn (2 workers,
   SERVE=pages: WSGI sync workers, as production behind nginx; BENCH_SERVE=all for
   the one-port ASGI server; production settings: DEBUG off, SSL redirect on,
   requests carry X-Forwarded-Proto: https) on 127.0.0.1 and loads every page of
   pages.py with wrk (16 connections, BENCH_SECONDS each, BENCH_RUNS runs, median
   taken), beside static HTML files of the meeting page's size (plain WhiteNoise,
   nginx, and through the app). Then the same through nginx and two app servers.
3. Writes under load (16 concurrent proposal POSTs), import throughput and search
   latency on the large set, where the pages and commands exist.
4. Prints the table, writes bench-results.json, and exits 1 if any request failed.

Only 127.0.0.1 is ever a target; every server is stopped on the way out.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from html.parser import HTMLParser
from http.client import HTTPConnection, HTTPException
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pages import (  # noqa: E402
    ADVERSARIAL_PAGES,
    ADVERSARIAL_PROPOSALS,
    CROWD_PROPOSALS,
    NGINX_PAGES,
    NGINX_STATIC_PAGE,
    PAGES,
    PYTHON_STATIC_PAGE,
    SCENARIO_PAGES,
    STATIC_PAGE,
    STATIC_TARGET_PAGES,
)
from tests.nginx import Nginx, nginx_binary  # noqa: E402

HERE = Path(__file__).resolve().parent
PY = sys.executable
HOST = "127.0.0.1"
CONCURRENCY = 16
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WRITE_SECONDS = float(os.environ.get("BENCH_WRITE_SECONDS", "10"))
SIZES = {"small": 50, "large": 2000}
SELECTED_SIZES = os.environ.get("BENCH_SIZES", "small,large").split(",")
IMPORT_FILES = int(os.environ.get("BENCH_IMPORT_FILES", "200"))
PROTO = {"X-Forwarded-Proto": "https"}
QUERY_SAMPLES = 7
STATS_LUA = HERE / "stats.lua"
KILL_ROW = "app server killed"
# Each row's rps over each other baseline of its round, besides ratio_to_static.
RATIO_KEYS = {
    "static nginx": "ratio_to_nginx_static",
    "static file": "ratio_to_app_static",
    "static python": "ratio_to_python_static",
}
# Pause after every wrk run before waiting for the app servers to be idle.
SETTLE_SECONDS = float(os.environ.get("BENCH_SETTLE_SECONDS", "0.5"))
# BENCH_PAGES=meeting,home: only these pages (and the static baselines).
ONLY_PAGES = [x for x in os.environ.get("BENCH_PAGES", "").split(",") if x]
# BENCH_CACHE=off: one cache mode only.
# "scratch": cache off and the finalized notes not stored either
# (PUBLISHED_PAGES=false), for the meeting page only: what a render costs.
CACHE_MODES = os.environ.get("BENCH_CACHE", "on,off,scratch").split(",")
# Through nginx: app servers (gunicorn, SERVE=pages) with their sync workers, each
# beside a live server (SERVE=live, one uvicorn worker, for /ws/); one app server
# and its live server killed with SIGKILL after a third of BENCH_KILL_SECONDS.
NGINX_APP_SERVERS = 2
NGINX_WORKERS = int(os.environ.get("BENCH_NGINX_WORKERS", "2"))
# What the app servers run (config/gunicorn.conf.py): pages on WSGI sync workers,
# as in production behind nginx; `all` measures the one-port ASGI server instead.
SERVE = os.environ.get("BENCH_SERVE", "pages")
KILL_SECONDS = float(os.environ.get("BENCH_KILL_SECONDS", "12"))
# A request slower than this around the kill counts as stalled (not recovered).
STALL_SECONDS = 1.0
# BENCH_ONLY picks one part, for a quick look (writes, import and search SQL run
# only in the full bench):
#   adversarial  home and the call page before and after the hostile proposals
#   direct       every page straight to the app server, both cache modes
#   scenarios    home and the call page with 1,000 proposals and during a call
#   nginx        the pages through nginx and two app servers, and the kill run
#   kill         the kill run alone
ONLY = os.environ.get("BENCH_ONLY", "")
ONLY_CHOICES = ("", "adversarial", "direct", "scenarios", "nginx", "kill")


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# Databases and commands --------------------------------------------------------


def database_url(base: str, name: str) -> str:
    parts = urllib.parse.urlsplit(base)
    return urllib.parse.urlunsplit(parts._replace(path=f"/{name}"))


def create_database(base: str, name: str) -> str:
    import psycopg2

    connection = psycopg2.connect(base)
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    return database_url(base, name)


def vacuum(db_env: dict, after: str) -> None:
    """VACUUM ANALYZE the database after bulk writes: later rows measure the
    settled archive that autovacuum leaves in production (statistics, the
    visibility map, no dead rows), not autovacuum catching up during them. Only
    the large set takes the writes and staged calls, so without this its rows
    ran beside (or after) thousands of dead proposals and small's did not."""
    import psycopg2

    start = time.monotonic()
    connection = psycopg2.connect(db_env["DATABASE_URL"])
    connection.autocommit = True
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    connection.close()
    log(f"vacuum after {after}: {time.monotonic() - start:.1f} s")


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise SystemExit(
            f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


# The servers -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str, host: str = "") -> tuple[int, dict, bytes]:
    headers = PROTO | ({"Host": host} if host else {})
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


class Server:
    """gunicorn (config/gunicorn.conf.py, SERVE=serve) on a free loopback port."""

    def __init__(
        self,
        env: dict,
        log_path: Path,
        workers: int = 2,
        app: str = "",
        serve: str = SERVE,
    ):
        self.port = free_port()
        # The live server beside this app server, killed with it in the kill run.
        self.live: Server | None = None
        self.env = {
            **env,
            "SERVE": serve,
            "BIND": f"{HOST}:{self.port}",
            "WEB_CONCURRENCY": str(workers),
        }
        self.log_path = log_path
        self.process = None
        # Another WSGI app than Callbook (the plain static server), same gunicorn.
        self.command = [PY, "-m", "gunicorn"] + (
            ["-w", str(workers), "-b", f"{HOST}:{self.port}", app]
            if app
            else ["-c", "config/gunicorn.conf.py"]
        )

    def start(self) -> "Server":
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            self.command,
            cwd=ROOT,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"gunicorn exited:\n{self.log_path.read_text()}")
            try:
                self.get(STATIC_PAGE.path)
                return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"gunicorn did not answer:\n{self.log_path.read_text()}")

    def kill(self) -> None:
        """SIGKILL the whole app server (gunicorn and its workers), as a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process and not self.log_file.closed:
            self.log_file.close()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path: str) -> tuple[int, dict, bytes]:
        return http_get(self.port, path)


class Rig:
    """What one row set loads: pages through `front` (the app server itself, or
    nginx in front of app servers), the static baselines beside them, and the app
    servers to wait on between rows."""

    def __init__(
        self,
        *,
        topology: str,
        front: int,
        app_servers: list[Server],
        baselines: dict[str, int],
        proxy: Nginx | None = None,
        extra: list[Server] = (),
    ):
        self.topology = topology
        self.front = front
        self.app_servers = app_servers
        self.baselines = baselines
        self.proxy = proxy
        self.extra = list(extra)
        # Every "x static" is taken against a plain static server: the plain
        # Python one beside the app server, nginx itself through nginx.
        self.reference = next(iter(baselines), None)

    def get(self, path: str) -> tuple[int, dict, bytes]:
        return http_get(self.front, path)

    def settle(self) -> None:
        """Wait until the app servers are idle: a short pause, then until a
        cheap request answers quickly on each, 3 times in a row (at most 10 s),
        so a row never measures the queue the previous row left behind."""
        time.sleep(SETTLE_SECONDS)
        deadline = time.monotonic() + 10
        for server in self.app_servers:
            if server.process.poll() is not None:
                continue
            quick = 0
            while quick < 3 and time.monotonic() < deadline:
                began = time.monotonic()
                try:
                    server.get(STATIC_PAGE.path)
                except OSError:
                    break
                quick = quick + 1 if time.monotonic() - began < 0.02 else 0
                if quick == 0:
                    time.sleep(0.2)

    def stop(self) -> None:
        if self.proxy:
            self.proxy.stop()
        for server in [*self.app_servers, *self.extra]:
            server.stop()


def static_nginx(app: Server, static_root: Path) -> Nginx | None:
    """nginx with the repository's config in front of `app`, for its static file."""
    if nginx_binary() is None:
        return None
    return Nginx(upstreams=[app.port], static_root=static_root).start()


def wrk(port: int, path: str | list[str], seconds: float) -> dict:
    """wrk at 127.0.0.1:port; a list of paths is rotated (rotate.lua)."""
    env = dict(os.environ)
    if isinstance(path, list):
        paths_file = Path(tempfile.mkstemp(prefix="bench-paths-")[1])
        paths_file.write_text("\n".join(path) + "\n")
        env |= {"BENCH_PATHS": str(paths_file), "BENCH_STATS_LUA": str(STATS_LUA)}
        script, url = HERE / "rotate.lua", f"http://{HOST}:{port}{path[0]}"
    else:
        paths_file = None
        script, url = STATS_LUA, f"http://{HOST}:{port}{path}"
    command = [
        "wrk",
        f"-t{min(2, CONCURRENCY)}",
        f"-c{CONCURRENCY}",
        f"-d{seconds:g}s",
        "--timeout",
        "5s",
        "-s",
        str(script),
        "-H",
        "X-Forwarded-Proto: https",
        url,
    ]
    try:
        result = subprocess.run(command, capture_output=True, text=True, env=env)
    finally:
        if paths_file:
            paths_file.unlink()
    if result.returncode != 0 or "BENCH " not in result.stdout:
        raise SystemExit(f"wrk failed: {result.stdout}{result.stderr}")
    output = result.stdout
    line = next(x for x in output.splitlines() if x.startswith("BENCH "))
    stats = json.loads(line[len("BENCH ") :])
    errors = sum(stats[k] for k in ("connect", "read", "write", "status", "timeout"))
    return {
        "rps": stats["requests"] / (stats["duration_us"] / 1e6),
        "p50_ms": stats["p50_us"] / 1000,
        "p95_ms": stats["p95_us"] / 1000,
        "p99_ms": stats["p99_us"] / 1000,
        "errors": errors,
        "requests": stats["requests"],
    }


def median_of(runs: list[dict]) -> dict:
    return {
        key: statistics.median(run[key] for run in runs)
        for key in ("rps", "p50_ms", "p95_ms", "p99_ms")
    } | {
        "errors": sum(run["errors"] for run in runs),
        "requests": sum(run["requests"] for run in runs),
    }


# Writes under load -------------------------------------------------------------


class FormParser(HTMLParser):
    """The fields of the first POST form on a page, with their default values."""

    def __init__(self):
        super().__init__()
        self.in_form = self.done = False
        self.fields: dict[str, str] = {}
        self.kinds: dict[str, str] = {}
        self._select = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.done:
            return
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.in_form = True
        elif self.in_form and tag in ("input", "textarea") and attrs.get("name"):
            kind = attrs.get("type", "text") if tag == "input" else "textarea"
            if kind in ("submit", "button", "checkbox", "radio"):
                return
            self.fields[attrs["name"]] = attrs.get("value") or ""
            self.kinds[attrs["name"]] = kind
        elif self.in_form and tag == "select" and attrs.get("name"):
            self._select = attrs["name"]
            self.kinds[self._select] = "select"
        elif self._select and tag == "option" and self._select not in self.fields:
            self.fields[self._select] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        if tag == "form" and self.in_form:
            self.in_form, self.done = False, True


def fill_proposal(fields: dict, kinds: dict, title: str) -> dict:
    """Fill a proposal form the way a person would; unknown text stays empty, so a
    honeypot stays untouched."""
    values = {}
    for name, value in fields.items():
        lowered = name.lower()
        if kinds[name] in ("hidden", "select"):
            values[name] = value
        elif "title" in lowered:
            values[name] = title
        elif "minutes" in lowered:
            values[name] = value or "10"
        elif "description" in lowered:
            values[name] = "Written by the bench under load."
        elif lowered.endswith("name") and "user" not in lowered:
            values[name] = "Bench Visitor"
        else:
            values[name] = value
    return values


def propose_under_load(server: Server, path: str, seconds: float) -> dict:
    counts = {"accepted": 0, "rejected": 0, "rate_limited": 0, "5xx": 0, "failed": 0}
    accepted_titles: list[str] = []
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    origin = f"https://{HOST}:{server.port}"

    def worker():
        connection = HTTPConnection(HOST, server.port, timeout=30)
        while time.monotonic() < deadline:
            title = f"Bench proposal {uuid.uuid4().hex[:12]}"
            try:
                connection.request("GET", path, headers=PROTO)
                page = connection.getresponse()
                html = page.read().decode()
                cookies = "; ".join(
                    c.split(";", 1)[0] for c in page.headers.get_all("Set-Cookie") or []
                )
                parser = FormParser()
                parser.feed(html)
                body = urllib.parse.urlencode(
                    fill_proposal(parser.fields, parser.kinds, title)
                )
                headers = {
                    **PROTO,
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": cookies,
                    "Origin": origin,
                    "Referer": origin + path,
                }
                connection.request("POST", path, body=body, headers=headers)
                answer = connection.getresponse()
                answer.read()
                status = answer.status
            except OSError:
                status = None
                connection.close()
                connection = HTTPConnection(HOST, server.port, timeout=30)
            with lock:
                if status is None:
                    counts["failed"] += 1
                elif status in (301, 302, 303):
                    counts["accepted"] += 1
                    accepted_titles.append(title)
                elif status == 429:
                    counts["rate_limited"] += 1
                elif status >= 500:
                    counts["5xx"] += 1
                else:
                    counts["rejected"] += 1
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(CONCURRENCY)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {**counts, "titles": accepted_titles}


def stored_titles(db_url: str) -> set[str]:
    import psycopg2

    with psycopg2.connect(db_url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT title FROM agenda_agendaitem WHERE title LIKE 'Bench proposal %%'"
        )
        return {row[0] for row in cursor.fetchall()}


# Import throughput -------------------------------------------------------------


def write_notes_archive(folder: Path, count: int) -> None:
    """A synthetic notes archive in the community's format, one file per call."""
    folder.mkdir(parents=True)
    day = time.mktime((2019, 6, 5, 12, 0, 0, 0, 0, 0))
    for index in range(count):
        date = time.strftime("%Y-%m-%d", time.gmtime(day + index * 7 * 86400))
        people = "\n".join(
            f"- Person {n} ([@person{n}](https://github.com/person{n}))"
            for n in range(index % 7, index % 7 + 8)
        )
        items = "\n\n".join(
            f"### [Person {n}] Topic {n} of call {index}\n\n"
            f"- Discussed falcosecurity/falco#{100 + n + index}\n"
            f"- **Person {n}**: agreed to follow up next week"
            for n in range(6)
        )
        (folder / f"{date}.md").write_text(
            f"# Community Call - Meeting {date}\n\n**MC:** Person {index % 7}\n\n"
            f"**Who joined**:\n\n{people}\n\n## This week highlights\n\n"
            f"- Release {index}.0 shipped\n\n## Agenda\n\n{items}\n\n"
            f"## Closing\n\n- **MC Next Call**: Person {(index + 1) % 7}\n"
        )


def import_throughput(env: dict, tmp: Path, base_url: str) -> dict:
    if manage(env, "help", "import_notes", check=False).returncode != 0:
        return {"status": "missing"}
    folder = tmp / "notes-archive"
    write_notes_archive(folder, IMPORT_FILES)
    db_env = {**env, "DATABASE_URL": create_database(base_url, "bench_import")}
    manage(db_env, "migrate", "--noinput", "-v0")
    began = time.monotonic()
    result = manage(
        db_env, "import_notes", str(folder), "--series", "bench-call", check=False
    )
    elapsed = time.monotonic() - began
    if result.returncode != 0:
        return {"status": "failed", "output": (result.stdout + result.stderr)[-2000:]}
    return {
        "status": "ok",
        "files": IMPORT_FILES,
        "seconds": round(elapsed, 2),
        "files_per_s": round(IMPORT_FILES / elapsed, 1),
    }


# Hostile proposals ---------------------------------------------------------------

# Each at most the form's 5,000 characters: inputs that make backtracking markdown
# parsers (Python-Markdown took 5-7 s for the first) slow down badly.
HOSTILE_DESCRIPTIONS = [
    "[" * 5000,
    "![" * 2500,
    "[a](" * 1250,
    "*a" * 2500,
    "_" * 5000,
    "> " * 2500,
    "<a " * 1666,
    "`" * 5000,
]


def post_proposal(server: Server, path: str, title: str, description: str) -> int:
    """One proposal through the real form (CSRF cookie and token); the status."""
    connection = HTTPConnection(HOST, server.port, timeout=60)
    origin = f"https://{HOST}:{server.port}"
    try:
        connection.request("GET", path, headers=PROTO)
        page = connection.getresponse()
        html = page.read().decode()
        cookies = "; ".join(
            c.split(";", 1)[0] for c in page.headers.get_all("Set-Cookie") or []
        )
        parser = FormParser()
        parser.feed(html)
        values = fill_proposal(parser.fields, parser.kinds, title)
        for name in values:
            if "description" in name.lower():
                values[name] = description
        headers = {
            **PROTO,
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookies,
            "Origin": origin,
            "Referer": origin + path,
        }
        body = urllib.parse.urlencode(values)
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    finally:
        connection.close()


def hostile_rows(rig: "Rig", pages: dict, size: str, cache: str) -> list[dict]:
    """Post the hostile proposals on the upcoming call, then load home and the call
    page again; rows named as in ADVERSARIAL_PAGES."""
    server = rig.app_servers[0]
    statuses = []
    for n in range(ADVERSARIAL_PROPOSALS):
        description = HOSTILE_DESCRIPTIONS[n % len(HOSTILE_DESCRIPTIONS)]
        statuses.append(
            post_proposal(server, pages["propose form"], f"Hostile {n}", description)
        )
    accepted = sum(status in (301, 302, 303) for status in statuses)
    log(f"{size}: {accepted} of {len(statuses)} hostile proposals accepted")
    if accepted != ADVERSARIAL_PROPOSALS:
        raise SystemExit(f"hostile proposals not all accepted: {statuses}")
    hostile, rows = {}, []
    for name, hostile_name in ADVERSARIAL_PAGES.items():
        # A page that fails or times out here is the very fault this row looks for:
        # report it instead of loading it.
        began = time.monotonic()
        try:
            status = server.get(pages[name])[0]
        except OSError as error:
            status = type(error).__name__
        seconds = time.monotonic() - began
        if status == 200:
            hostile[hostile_name] = pages[name]
            continue
        log(f"{hostile_name}: answered {status} after {seconds:.1f} s")
        rows.append(
            missing_row(hostile_name, size, cache)
            | {
                "status": "failed",
                "errors": 1,
                "answer": f"{status} in {seconds:.1f} s",
            }
        )
    rows += bench_server(rig, hostile, size, cache, baselines=False)
    return rows


# The run -----------------------------------------------------------------------


def page_paths(facts: dict) -> dict[str, str | list[str]]:
    """Each page's path, or its list of paths when it rotates."""
    paths = {}
    for page in PAGES:
        if ONLY_PAGES and page.name not in ONLY_PAGES:
            continue
        rotation = facts.get(page.rotate) if page.rotate else None
        paths[page.name] = rotation or page.path.format(**facts)
    return paths


def sample(rig: Rig, path: str | list[str], warm_all: bool) -> tuple[int, dict, int]:
    """Warm a page up; its status, median queries and bytes (several requests: a
    worker's first request also opens its database connection)."""
    paths = path if isinstance(path, list) else [path]
    status, headers, body = rig.get(paths[0])
    if status != 200:
        return status, {}, 0
    if warm_all:  # cache on: every call of a rotation served from the cache
        for one in paths[1:]:
            rig.get(one)
    counts, sizes = [], []
    for n in range(QUERY_SAMPLES):
        # Counted at an app server: through nginx a kept page repeats the header
        # of the request that filled its microcache.
        # (with nginx's Host header: the page cache keys on the host).
        status, headers, body = http_get(
            rig.app_servers[0].port,
            paths[n % len(paths)],
            host=HOST if rig.topology == "nginx" else "",
        )
        named = {key.lower(): value for key, value in headers.items()}
        counts.append(int(named.get("x-queries", -1)))
        sizes.append(len(body))
    queries = int(statistics.median(counts))
    return (
        200,
        {"queries": None if queries < 0 else queries},
        int(statistics.median(sizes)),
    )


def row_of(name, size, cache, rig, figures, ratio, **more) -> dict:
    if not figures["requests"]:  # nothing answered within a run: no latencies
        figures = figures | {"p50_ms": None, "p95_ms": None, "p99_ms": None}
    return {
        "page": name,
        "size": size,
        "cache": cache,
        "topology": rig.topology,
        "status": "ok",
        "rps": round(figures["rps"], 1),
        **{
            key: None if figures[key] is None else round(figures[key], 2)
            for key in ("p50_ms", "p95_ms", "p99_ms")
        },
        "ratio_to_static": round(ratio, 3),
        "static_baseline": rig.reference,
        "errors": figures["errors"],
        "requests": figures["requests"],
        **more,
    }


def bench_server(
    rig: Rig, pages: dict, size: str, cache: str, *, baselines: bool = True
) -> list[dict]:
    """Warm every page up, then load each for RUNS rounds beside the static
    baselines, settling between runs; one row per page (and per baseline)."""
    available, rows = {}, []
    for name, path in pages.items():
        status, facts, size_bytes = sample(rig, path, warm_all=cache == "on")
        if status == 404:
            rows.append(missing_row(name, size, cache, rig.topology))
            continue
        if status != 200:
            raise SystemExit(f"{name} ({path}) answered {status} before the load")
        available[name] = {"path": path, "bytes": size_bytes, **facts}
    # Rows of a staged state need only the reference baseline, and no row of it.
    statics = (
        dict(rig.baselines)
        if baselines
        else {rig.reference: rig.baselines[rig.reference]}
    )
    runs: dict[str, list] = {name: [] for name in [*available, *statics]}
    for round_ in range(RUNS):
        log(f"{size}, cache {cache}, {rig.topology}: round {round_ + 1}/{RUNS}")
        # On a shared machine the load moves: compare with this round's static.
        for name, port in statics.items():
            runs[name].append(wrk(port, STATIC_PAGE.path, SECONDS))
            rig.settle()
        reference = runs[rig.reference][-1]["rps"]
        others = {
            RATIO_KEYS[name]: runs[name][-1]["rps"]
            for name in statics
            if name != rig.reference
        }
        for name, page in available.items():
            run = wrk(rig.front, page["path"], SECONDS)
            run["ratio"] = run["rps"] / reference
            run |= {key: run["rps"] / rps for key, rps in others.items()}
            runs[name].append(run)
            rig.settle()
    for name, page in available.items():
        more = {
            key: round(statistics.median(run[key] for run in runs[name]), 3)
            for key in RATIO_KEYS.values()
            if key in runs[name][0]
        }
        path = page["path"]
        rows.append(
            row_of(
                name,
                size,
                cache,
                rig,
                median_of(runs[name]),
                statistics.median(run["ratio"] for run in runs[name]),
                queries=page["queries"],
                bytes=page["bytes"],
                path=path if isinstance(path, str) else f"{len(path)} rotated",
                **more,
            )
        )
    if not baselines:
        return rows
    for name in statics:
        figures = median_of(runs[name])
        ratio = statistics.median(
            run["rps"] / ref["rps"]
            for run, ref in zip(runs[name], runs[rig.reference], strict=True)
        )
        rows.append(
            row_of(name, "static", cache, rig, figures, ratio, queries=0)
            | {"served_beside": size}
        )
    return rows


def missing_row(name: str, size: str, cache: str, topology: str = "direct") -> dict:
    return {
        "page": name,
        "size": size,
        "cache": cache,
        "topology": topology,
        "status": "missing",
        "rps": None,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
        "ratio_to_static": None,
        "queries": None,
        "errors": 0,
    }


def add_large_small_ratios(rows: list[dict]) -> None:
    by_key = {(r["page"], r["size"], r["cache"], r["topology"]): r for r in rows}
    for row in rows:
        small = by_key.get((row["page"], "small", row["cache"], row["topology"]))
        if row["size"] == "large" and small and row["rps"] and small["rps"]:
            row["large_small_ratio"] = round(small["rps"] / row["rps"], 2)


def scenario(db_env: dict, *args: str) -> dict:
    result = subprocess.run(
        [PY, str(HERE / "scenario.py"), *args],
        cwd=ROOT,
        env=db_env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise SystemExit(f"scenario.py {' '.join(args)} failed:\n{result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def reset(db_env: dict, facts: dict, after: str, extras: dict) -> None:
    """Delete what the bench wrote (proposals, staged calls): later rows measure
    the same pages as earlier ones."""
    result = scenario(db_env, "reset")
    result["ok"] = result["upcoming_items"] == facts["upcoming_items"]
    extras.setdefault("resets", []).append({"after": after, **result})
    log(
        f"reset after {after}: {result['deleted_items']} items and "
        f"{result['deleted_calls']} calls deleted, upcoming call back to "
        f"{result['upcoming_items']} items"
    )
    if not result["ok"]:
        raise SystemExit(f"reset after {after} left {result}")
    vacuum(db_env, f"the reset after {after}")


def scenario_rows(rig: Rig, db_env: dict, facts: dict, size: str, extras) -> list:
    """Home and the call page with 1,000 proposals on the upcoming call, then while
    a call is on (cache on: what visitors get)."""
    rows = []
    staged = scenario(db_env, "crowd", str(CROWD_PROPOSALS))
    names = SCENARIO_PAGES["crowd"]
    rows += bench_server(
        rig,
        {names["home"]: "/", names["call page"]: staged["path"]},
        size,
        "on",
        baselines=False,
    )
    reset(db_env, facts, "the 1,000 proposals", extras)
    staged = scenario(db_env, "during")
    names = SCENARIO_PAGES["during"]
    rows += bench_server(
        rig,
        {names["home"]: "/", names["call page"]: staged["path"]},
        size,
        "on",
        baselines=False,
    )
    reset(db_env, facts, "the call on now", extras)
    return rows


def direct_rig(db_env: dict, cache: str, tmp: Path, name: str) -> Rig:
    """The app server alone, beside the static baselines: a plain Python static
    server (the reference), nginx serving the file, and the app's WhiteNoise."""
    page_cache = "true" if cache == "on" else "false"
    # Cache off is the raw render: no page cache and no kept parts either
    # (CLOCK_CACHE_SECONDS=0; the parts of a finalized call are kept per stamp).
    # Finalized notes are stored (meetings/published.py) but in "scratch".
    clock_cache = {} if cache == "on" else {"CLOCK_CACHE_SECONDS": "0"}
    published = {"PUBLISHED_PAGES": "false"} if cache == "scratch" else {}
    server = Server(
        {**db_env, "PAGE_CACHE": page_cache, **clock_cache, **published},
        tmp / f"{name}.log",
    )
    static = Server(
        {**os.environ, "BENCH_STATIC_ROOT": str(tmp / "static")},
        tmp / f"{name}-static.log",
        app="tests.bench.static_app:application",
    )
    rig = Rig(
        topology="direct",
        front=server.port,
        app_servers=[server],
        baselines={},
        extra=[static],
    )
    try:
        server.start()
        static.start()
        rig.proxy = static_nginx(server, tmp / "static")
    except BaseException:
        rig.stop()
        raise
    rig.baselines[PYTHON_STATIC_PAGE.name] = static.port
    if rig.proxy:
        rig.baselines[NGINX_STATIC_PAGE.name] = rig.proxy.port
    rig.baselines[STATIC_PAGE.name] = server.port
    rig.reference = PYTHON_STATIC_PAGE.name
    return rig


def nginx_rig(db_env: dict, tmp: Path, size: str) -> Rig:
    """nginx (deploy/nginx.conf) in front of two app servers sharing PostgreSQL,
    the cache table and Redis (the channel layer, when tests/with_redis.sh runs)."""
    env = {**db_env, "PAGE_CACHE": "true", "TRUSTED_PROXIES": HOST}
    servers = [
        Server(env, tmp / f"{size}-nginx-app{n}.log", workers=NGINX_WORKERS)
        for n in range(NGINX_APP_SERVERS)
    ]
    # The live servers answer /ws/ only; nothing in these rows opens one, but
    # they run as in production and die with their app server in the kill run.
    live = [
        Server(env, tmp / f"{size}-nginx-live{n}.log", workers=1, serve="live")
        for n in range(NGINX_APP_SERVERS)
    ]
    for server, partner in zip(servers, live, strict=True):
        server.live = partner
    rig = Rig(topology="nginx", front=0, app_servers=servers, baselines={}, extra=live)
    try:
        for server in [*servers, *live]:
            server.start()
        rig.proxy = Nginx(
            upstreams=[s.port for s in servers],
            live_upstreams=[s.port for s in live],
            static_root=tmp / "static",
        ).start()
    except BaseException:
        rig.stop()
        raise
    rig.front = rig.proxy.port
    rig.baselines[NGINX_STATIC_PAGE.name] = rig.proxy.port
    rig.reference = NGINX_STATIC_PAGE.name
    return rig


def kill_run(rig: Rig, paths: list[str]) -> dict:
    """CONCURRENCY clients load cached meeting pages through nginx (past its
    microcache, so every request reaches an app server) for
    KILL_SECONDS; after a third of it one app server is killed with SIGKILL.

    error rate: failed requests (connection errors, non-200) / all requests;
    recovery: from the kill to the end of the last failed or stalled (> 1 s)
    request, 0 when there was none (nginx retries a GET that the dead server
    dropped on the live one, so a client sees at most a slower answer: the
    slowest request begun around the kill is reported too, and the requests
    served per 250 ms, since on a shared machine throughput dips anyway)."""
    results: list[tuple[float, float, bool]] = []
    lock = threading.Lock()
    began = time.monotonic()
    deadline = began + KILL_SECONDS

    def client(offset: int):
        connection = HTTPConnection(HOST, rig.front, timeout=10)
        n = offset
        while time.monotonic() < deadline:
            n += 1
            start = time.monotonic()
            try:
                # A query the page does not read: past nginx's microcache to the
                # app servers' page cache (which leaves it out of its key).
                path = f"{paths[n % len(paths)]}?kill-run={offset}-{n}"
                connection.request("GET", path, headers=PROTO)
                answer = connection.getresponse()
                answer.read()
                ok = answer.status == 200
            except (OSError, HTTPException):
                ok = False
                connection.close()
                connection = HTTPConnection(HOST, rig.front, timeout=10)
            with lock:
                results.append((start, time.monotonic(), ok))
        connection.close()

    threads = [
        threading.Thread(target=client, args=(n * 37,)) for n in range(CONCURRENCY)
    ]  # offsets: each client starts at another call
    for thread in threads:
        thread.start()
    time.sleep(KILL_SECONDS / 3)
    victim = rig.app_servers[-1]
    killed_at = time.monotonic()
    victim.kill()
    if victim.live:
        victim.live.kill()  # the same machine's live server goes down with it
    log(f"kill: app server on port {victim.port} killed (SIGKILL)")
    for thread in threads:
        thread.join()
    failed = sum(not ok for _, _, ok in results)
    before = [r for r in results if r[1] < killed_at and r[0] >= began + 1]
    rate_before = len(before) / max(killed_at - began - 1, 0.001)
    bad_ends = [
        end
        for start, end, ok in results
        if end >= killed_at and (not ok or end - start > STALL_SECONDS)
    ]
    window = 0.25
    last_end = max(end for _, end, _ in results)
    # Requests served per 250 ms from 1 s before the kill (for a look at the dip).
    timeline = [
        sum(1 for _, end, ok in results if ok and t <= end < t + window)
        for t in (killed_at - 1 + window * k for k in range(int(KILL_SECONDS * 4)))
        if t + window <= last_end
    ]
    after = [r for r in results if r[1] >= killed_at + 1 and r[2]]
    rate_after = len(after) / max(last_end - killed_at - 1, 0.001)
    latencies = sorted(end - start for start, end, _ in results)
    around = [end - start for start, end, _ in results if abs(start - killed_at) < 1]
    return {
        "status": "ok",
        "requests": len(results),
        "failed": failed,
        "error_rate_pct": round(100 * failed / max(len(results), 1), 3),
        "recovery_s": round(max(bad_ends) - killed_at, 2) if bad_ends else 0.0,
        "rps_before": round(rate_before, 1),
        "rps_after": round(rate_after, 1),
        "max_ms": round(1000 * latencies[-1], 1),
        "max_ms_around_kill": round(1000 * max(around, default=0), 1),
        "p99_ms": round(1000 * latencies[int(len(latencies) * 0.99)], 1),
        "killed_port": victim.port,
        "served_per_250ms_from_1s_before": timeline,
        "seconds": KILL_SECONDS,
    }


def nginx_rows(db_env: dict, facts: dict, size: str, tmp: Path, extras) -> list:
    if nginx_binary() is None:
        extras["kill"] = {"status": "missing"}
        log("nginx is missing: no rows through nginx (apt-get install nginx)")
        return [missing_row(name, size, "on", "nginx") for name in NGINX_PAGES]
    rig = nginx_rig(db_env, tmp, size)
    try:
        rows = []
        if ONLY != "kill":
            pages = page_paths(facts)
            rows += bench_server(
                rig, {n: pages[n] for n in NGINX_PAGES if n in pages}, size, "on"
            )
        rotation = facts["meeting_rotation"]
        for path in rotation:  # every call the clients load is cached
            rig.get(path)
        rig.settle()
        log(f"kill: {CONCURRENCY} clients for {KILL_SECONDS:g} s through nginx")
        kill = extras["kill"] = kill_run(rig, rotation) | {"size": size}
        log(f"kill: served per 250 ms: {kill['served_per_250ms_from_1s_before']}")
        # Its own row in bench-results.json; its failures are held to the kill
        # targets (< 0.1%), not to "zero failed requests".
        rows.append(
            {
                "page": KILL_ROW,
                "size": size,
                "cache": "on",
                "topology": "nginx",
                "status": "ok",
                "rps": kill["rps_before"],
                "rps_after_kill": kill["rps_after"],
                "p99_ms": kill["p99_ms"],
                "max_ms": kill["max_ms"],
                "errors": kill["failed"],
                "requests": kill["requests"],
                "error_rate_pct": kill["error_rate_pct"],
                "recovery_s": kill["recovery_s"],
                "ratio_to_static": None,
                "queries": None,
            }
        )
        return rows
    finally:
        rig.stop()


def main() -> int:
    began = time.monotonic()
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        print("bench: run me through tests/with_postgres.sh (`make bench`).")
        return 2
    if not shutil.which("wrk"):
        print("bench: wrk is missing; `apt-get install wrk` (make bench does it).")
        return 2
    if ONLY not in ONLY_CHOICES:
        print(f"bench: BENCH_ONLY is one of {', '.join(filter(None, ONLY_CHOICES))}")
        return 2
    if nginx_binary() is None:
        log(
            "!!! nginx is missing (apt-get install nginx): the static baseline is "
            "the app's own WhiteNoise and the rows through nginx are skipped !!!"
        )
    tmp = Path(tempfile.mkdtemp(prefix="callbook-bench-"))
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(tmp / "static"),
        # Production's shared cache: Redis at REDIS_URL (tests/with_redis.sh),
        # the cache table without it.
        "CACHE_URL": "" if os.environ.get("REDIS_URL") else "db://callbook_cache",
        "BENCH_QUERY_HEADER": "true",
        "CONN_MAX_AGE": "60",
        "LOG_LEVEL": "ERROR",
        # The writes test sends hundreds of proposals from one address.
        "PROPOSALS_PER_HOUR": "1000000",
    }
    # BENCH_ENV_X=Y passes X=Y to the servers, e.g. to lift a proposal rate limit.
    env |= {
        key[len("BENCH_ENV_") :]: value
        for key, value in os.environ.items()
        if key.startswith("BENCH_ENV_")
    }
    rigs: list[Rig] = []
    rows: list[dict] = []
    extras: dict = {
        "generate_seconds": {},
        "serve": SERVE,
        "cache": "redis" if os.environ.get("REDIS_URL") else "db",
    }
    full = not ONLY and not ONLY_PAGES
    try:
        log("collectstatic")
        manage(env, "collectstatic", "--noinput", "-v0")
        databases = {}
        for size in SELECTED_SIZES:
            db_env = {**env, "DATABASE_URL": create_database(base_url, f"bench_{size}")}
            manage(db_env, "migrate", "--noinput", "-v0")
            manage(db_env, "createcachetable")
            start = time.monotonic()
            out = manage(
                db_env, "generate_fake_community", "--meetings", str(SIZES[size])
            ).stdout
            extras["generate_seconds"][size] = round(time.monotonic() - start, 1)
            log(f"{size}: {out.strip()}")
            # As a deploy or an import does: store the finalized notes ahead.
            start = time.monotonic()
            out = manage(db_env, "render_markdown").stdout
            extras.setdefault("publish_seconds", {})[size] = round(
                time.monotonic() - start, 1
            )
            log(f"{size}: {out.strip()}")
            facts = json.loads(
                subprocess.run(
                    [PY, str(HERE / "discover.py")],
                    cwd=ROOT,
                    env=db_env,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            vacuum(db_env, f"generating {size}")
            databases[size] = (db_env, facts)

        # The static baseline: as large as the meeting page the bench loads.
        reference_env, reference_facts = databases[SELECTED_SIZES[-1]]
        probe = Server(reference_env, tmp / "probe.log")
        baseline = tmp / "static" / "bench" / "baseline.html"
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_text("<!DOCTYPE html><title>baseline</title>")
        probe.start()
        meeting_bytes = len(probe.get(reference_facts["meeting"])[2])
        probe.stop()
        filler = "<p>" + "static baseline " * 8 + "</p>\n"
        head = "<!DOCTYPE html><html lang=en><title>baseline</title><body>\n"
        text = head + filler * ((meeting_bytes - len(head)) // len(filler) + 1)
        baseline.write_text(text[:meeting_bytes])
        extras["static_bytes"] = meeting_bytes

        for size in SELECTED_SIZES:
            db_env, facts = databases[size]
            pages = page_paths(facts)
            if ONLY == "adversarial":
                rig = direct_rig(db_env, "on", tmp, size)
                rigs.append(rig)
                normal = {name: pages[name] for name in ADVERSARIAL_PAGES}
                rows += bench_server(rig, normal, size, "on")
                rows += hostile_rows(rig, pages, size, "on")
                reset(db_env, facts, "the hostile proposals", extras)
                rig.stop()
                continue
            if ONLY in ("", "direct", "scenarios"):
                for cache in CACHE_MODES:
                    if ONLY == "scenarios" and cache != "on":
                        continue
                    rig = direct_rig(db_env, cache, tmp, f"{size}-{cache}")
                    rigs.append(rig)
                    if cache == "scratch":
                        meeting = {"meeting": pages["meeting"]}
                        rows += bench_server(rig, meeting, size, cache, baselines=False)
                    elif ONLY != "scenarios":
                        rows += bench_server(rig, pages, size, cache)
                    if cache == "on" and ONLY in ("", "scenarios"):
                        if full:
                            rows += hostile_rows(rig, pages, size, cache)
                            reset(db_env, facts, "the hostile proposals", extras)
                        if size == SELECTED_SIZES[-1]:  # the large set's call
                            rows += scenario_rows(rig, db_env, facts, size, extras)
                    if size == SELECTED_SIZES[-1] and cache == "on" and full:
                        extras["writes"] = writes(
                            rig.app_servers[0], pages["propose form"], db_env
                        )
                        reset(db_env, facts, "the writes", extras)
                    rig.stop()
            if ONLY in ("", "nginx", "kill") and size == SELECTED_SIZES[-1]:
                rows += nginx_rows(db_env, facts, size, tmp, extras)
            if size == "large" and full:
                extras["search_sql"] = json.loads(
                    subprocess.run(
                        [PY, str(HERE / "search_sql.py")],
                        cwd=ROOT,
                        env=db_env,
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                )
        if full:
            extras["import"] = import_throughput(env, tmp, base_url)
    finally:
        for rig in rigs:
            rig.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    add_large_small_ratios(rows)
    extras["total_seconds"] = round(time.monotonic() - began, 1)
    (ROOT / "bench-results.json").write_text(json.dumps(rows, indent=2) + "\n")
    print_report(rows, extras)
    failed = sum(row["errors"] for row in rows if row["page"] != KILL_ROW)
    writes_ok = extras.get("writes", {}).get("ok", True)
    import_ok = extras.get("import", {}).get("status") != "failed"
    return 0 if failed == 0 and writes_ok and import_ok else 1


def writes(server: Server, path: str, db_env: dict) -> dict:
    status = server.get(path)[0]
    if status == 404:
        return {"status": "missing", "ok": True}
    log(f"writes: {CONCURRENCY} concurrent proposals for {WRITE_SECONDS:g} s")
    result = propose_under_load(server, path, WRITE_SECONDS)
    stored = stored_titles(db_env["DATABASE_URL"])
    lost = [title for title in result.pop("titles") if title not in stored]
    result |= {"status": "ok", "stored": len(stored), "lost": len(lost)}
    result["ok"] = not lost and not result["5xx"] and not result["failed"]
    return result


# The report --------------------------------------------------------------------


def fmt(value, spec="") -> str:
    return "—" if value is None else format(value, spec)


def print_table(rows: list[dict]) -> None:
    header = (
        f"{'page':<17}{'size':<7}{'cache':<6}{'rps':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'x static':>9}{'queries':>8}{'L/S':>6}{'errors':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    names = [
        page.name
        for page in [*PAGES, PYTHON_STATIC_PAGE, NGINX_STATIC_PAGE, STATIC_PAGE]
    ]
    names += list(ADVERSARIAL_PAGES.values())
    names += [name for staged in SCENARIO_PAGES.values() for name in staged.values()]
    order = {name: i for i, name in enumerate(names)}
    for row in sorted(
        rows, key=lambda r: (r["cache"] == "off", r["size"], order[r["page"]])
    ):
        if row["status"] == "missing":
            print(f"{row['page']:<17}{row['size']:<7}{row['cache']:<6}  missing")
            continue
        if row["status"] == "failed":
            print(
                f"{row['page']:<17}{row['size']:<7}{row['cache']:<6}  FAILED: "
                f"{row['answer']}"
            )
            continue
        print(
            f"{row['page']:<17}{row['size']:<7}{row['cache']:<6}"
            f"{fmt(row['rps'], '.0f'):>8}{fmt(row['p50_ms'], '.1f'):>8}"
            f"{fmt(row['p99_ms'], '.1f'):>8}{fmt(row['ratio_to_static'], '.2f'):>9}"
            f"{fmt(row['queries']):>8}{fmt(row.get('large_small_ratio'), '.2f'):>6}"
            f"{row['errors']:>7}"
        )


def print_report(rows: list[dict], extras: dict) -> None:
    direct = [row for row in rows if row["topology"] == "direct"]
    through = [
        row for row in rows if row["topology"] == "nginx" and row["page"] != KILL_ROW
    ]
    if direct:
        print_table(direct)
        reference = direct[0].get("static_baseline", PYTHON_STATIC_PAGE.name)
        print(
            f"\nc={CONCURRENCY}, {SECONDS:g} s per page, median of {RUNS} runs; "
            f"x static: median over the runs of rps / the rps of `{reference}` "
            "(a file of the meeting page's size from WhiteNoise alone, no Django) "
            "in the same round; `static nginx`: nginx serving it; `static file`: "
            "it through the app; `meeting` loads a different finalized call per "
            "request; queries: median of 7 requests; L/S: small rps / large rps; "
            "the bench settles (pause, then until the app answers quickly) "
            "between runs."
        )
    if through:
        print(
            f"\nThrough nginx (deploy/nginx.conf) in front of {NGINX_APP_SERVERS} app "
            f"servers (SERVE={SERVE}) x {NGINX_WORKERS} worker(s), each beside a "
            "live server for /ws/, cache on:"
        )
        print_table(through)
        print("x static: rps / nginx serving the same-size static file itself.")
    kill = extras.get("kill")
    if kill and kill["status"] == "ok":
        print(
            f"App server killed (SIGKILL) through nginx: {kill['failed']} of "
            f"{kill['requests']} requests failed ({kill['error_rate_pct']}%), "
            f"recovery {kill['recovery_s']} s, {kill['rps_before']} rps before and "
            f"{kill['rps_after']} after, slowest {kill['max_ms']} ms "
            f"({kill['max_ms_around_kill']} ms within 1 s of the kill)."
        )
    for done in extras.get("resets", []):
        print(
            f"Reset after {done['after']}: {done['deleted_items']} items, "
            f"{done['deleted_calls']} calls deleted; upcoming call back to "
            f"{done['upcoming_items']} items."
        )
    print(f"Generated in: {extras['generate_seconds']} s")
    writes = extras.get("writes", {"status": "not run"})
    if writes["status"] == "ok":
        print(
            f"Writes under load: {writes['accepted']} accepted, {writes['lost']} lost, "
            f"{writes['rejected']} rejected by validation, {writes['rate_limited']} "
            f"rate-limited (429), {writes['5xx']} 5xx, {writes['failed']} failed."
        )
    else:
        print(f"Writes under load: {writes['status']}")
    imported = extras.get("import", {"status": "not run"})
    if imported["status"] == "ok":
        print(
            f"Import: {imported['files']} files in {imported['seconds']} s = "
            f"{imported['files_per_s']} files/s"
        )
    else:
        print(f"Import: {imported['status']} {imported.get('output', '')}".rstrip())
    sql = extras.get("search_sql")
    if sql:
        print(
            f"Search query on the GIN index (large set, ORM, first 20 hits): "
            f"p50 {sql['p50_ms']} ms, p95 {sql['p95_ms']} ms over {sql['queries']}"
        )
    print_targets(rows, extras)
    print(f"Total bench time: {extras['total_seconds']:.0f} s")


def print_targets(rows: list[dict], extras: dict) -> None:
    by_key = {(r["page"], r["size"], r["cache"], r["topology"]): r for r in rows}
    checks = []
    for row in rows:
        if row["page"] in STATIC_TARGET_PAGES and row["cache"] == "on":
            if row["status"] != "ok":
                continue
            if row["topology"] == "direct":
                checks.append(
                    (
                        f"{row['page']} ({row['size']}) >= 0.7x static, p99 < 50 ms",
                        row["ratio_to_static"] >= 0.7 and (row["p99_ms"] or 1e9) < 50,
                        f"{row['ratio_to_static']:.2f}x, "
                        f"p99 {fmt(row['p99_ms'], '.1f')} ms",
                    )
                )
            else:
                checks.append(
                    (
                        f"{row['page']} ({row['size']}) through nginx >= 0.7x nginx "
                        "static, 0 errors",
                        row["ratio_to_static"] >= 0.7 and row["errors"] == 0,
                        f"{row['ratio_to_static']:.2f}x, {row['errors']} errors",
                    )
                )
    scratch = by_key.get(("meeting", "large", "scratch", "direct"))
    if scratch and scratch["status"] == "ok":
        print(
            f"meeting (large) rendered from scratch, notes not stored: "
            f"{scratch['rps']:.0f} rps, {scratch['queries']} queries"
        )
    raw = by_key.get(("meeting", "large", "off", "direct"))
    if raw and raw["status"] == "ok":
        checks.append(
            (
                "meeting (large, cache off, a different call each request) "
                ">= 300 rps, <= 8 queries",
                raw["rps"] >= 300 and (raw["queries"] or 0) <= 8,
                f"{raw['rps']:.0f} rps, {raw['queries']} queries",
            )
        )
    for row in rows:
        if "large_small_ratio" in row and row["topology"] == "direct":
            small = by_key[(row["page"], "small", row["cache"], "direct")]
            checks.append(
                (
                    f"{row['page']} (cache {row['cache']}) large/small <= 1.2, "
                    "same queries",
                    row["large_small_ratio"] <= 1.2
                    and row["queries"] == small["queries"],
                    f"{row['large_small_ratio']:.2f}, queries "
                    f"{small['queries']} -> {row['queries']}",
                )
            )
    for staged in ("home +1000 props", "call during call"):
        for size in SIZES:
            row = by_key.get((staged, size, "on", "direct"))
            if row and row["status"] == "ok":
                checks.append(
                    (
                        f"{staged} ({size}) >= 0.3x static",
                        row["ratio_to_static"] >= 0.3,
                        f"{row['ratio_to_static']:.2f}x, {row['rps']:.0f} rps",
                    )
                )
    for normal_name, hostile_name in ADVERSARIAL_PAGES.items():
        for size in SIZES:
            normal = by_key.get((normal_name, size, "on", "direct"))
            hostile = by_key.get((hostile_name, size, "on", "direct"))
            if hostile and hostile["status"] == "failed":
                checks.append(
                    (f"{hostile_name} ({size}) answers", False, hostile["answer"])
                )
                continue
            if not (normal and hostile and normal["p99_ms"] and hostile["p99_ms"]):
                continue
            budget_p99 = 2 * normal["p99_ms"] + 50
            checks.append(
                (
                    f"{hostile_name} ({size}) within {normal_name}'s budget: "
                    f">= 0.5x its rps, p99 <= 2x + 50 ms, no errors",
                    hostile["rps"] >= 0.5 * normal["rps"]
                    and hostile["p99_ms"] <= budget_p99
                    and hostile["errors"] == 0,
                    f"{hostile['rps']:.0f} vs {normal['rps']:.0f} rps, p99 "
                    f"{hostile['p99_ms']:.1f} vs {normal['p99_ms']:.1f} ms, "
                    f"{hostile['errors']} errors",
                )
            )
    for name in ("search", "search common"):
        search = by_key.get((name, "large", "on", "direct"))
        if search and search["status"] == "ok":
            checks.append(
                (
                    f"{name} (large) p95 < 100 ms",
                    (search["p95_ms"] or 1e9) < 100,
                    f"p95 {fmt(search['p95_ms'], '.1f')} ms",
                )
            )
        elif not ONLY and not ONLY_PAGES:
            checks.append((f"{name} (large) p95 < 100 ms", None, "missing"))
    kill = extras.get("kill")
    if kill and kill["status"] == "ok":
        checks.append(
            (
                "one app server killed through nginx: error rate < 0.1%",
                kill["error_rate_pct"] < 0.1,
                f"{kill['error_rate_pct']}% ({kill['failed']} of {kill['requests']})",
            )
        )
        checks.append(
            (
                "one app server killed through nginx: recovery <= 2 s",
                kill["recovery_s"] <= 2,
                f"{kill['recovery_s']} s",
            )
        )
    failed = sum(r["errors"] for r in rows if r["page"] != KILL_ROW)
    checks.append(("zero failed requests", failed == 0, f"{failed} failed"))
    print("\nTargets:")
    for label, met, figure in checks:
        verdict = {True: "met   ", False: "MISSED", None: "n/a   "}[met]
        print(f"  {verdict} {label}: {figure}")


if __name__ == "__main__":
    sys.exit(main())
