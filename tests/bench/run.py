"""`make bench`: serve synthetic communities with gunicorn and load them with wrk.

Run inside tests/with_postgres.sh (DATABASE_URL points at a throwaway cluster):

    tests/with_postgres.sh .venv/bin/python tests/bench/run.py

1. Generates a small (50 calls) and a large (2,000 calls, 40,000 agenda items, 800
   people, 10,000 action items) community, each in its own database of the cluster.
2. For each size, with the page cache on and off, starts gunicorn (2 workers,
   production settings: DEBUG off, SSL redirect on, requests carry
   X-Forwarded-Proto: https) on 127.0.0.1 and loads every page of pages.py with wrk
   (16 connections, BENCH_SECONDS each, BENCH_RUNS runs, median taken), beside a
   static HTML file of the meeting page's size served by the same process.
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
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.pages import (  # noqa: E402
    ADVERSARIAL_PAGES,
    ADVERSARIAL_PROPOSALS,
    PAGES,
    STATIC_PAGE,
    STATIC_TARGET_PAGES,
)

HERE = Path(__file__).resolve().parent
PY = sys.executable
HOST = "127.0.0.1"
CONCURRENCY = 16
SECONDS = float(os.environ.get("BENCH_SECONDS", "10"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
WRITE_SECONDS = float(os.environ.get("BENCH_WRITE_SECONDS", "10"))
SIZES = {"small": 50, "large": 2000}
SELECTED_SIZES = os.environ.get("BENCH_SIZES", "small,large").split(",")
IMPORT_FILES = int(os.environ.get("BENCH_IMPORT_FILES", "200"))
PROTO = {"X-Forwarded-Proto": "https"}
QUERY_SAMPLES = 7
# BENCH_ONLY=adversarial: only home and the call page, before and after the hostile
# proposals (no other pages, writes, import or search), for a quick look.
ONLY = os.environ.get("BENCH_ONLY", "")


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


def manage(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if check and result.returncode != 0:
        raise SystemExit(
            f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


# The server --------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn with 2 workers on a free loopback port, stopped by stop()."""

    def __init__(self, env: dict, log_path: Path):
        self.port = free_port()
        self.env = {**env, "BIND": f"{HOST}:{self.port}", "WEB_CONCURRENCY": "2"}
        self.log_path = log_path
        self.process = None

    def start(self) -> "Server":
        self.log_file = open(self.log_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [PY, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
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

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.process:
            self.log_file.close()

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path: str) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.url(path), headers=PROTO)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()


def wrk(server: Server, path: str, seconds: float) -> dict:
    command = [
        "wrk",
        f"-t{min(2, CONCURRENCY)}",
        f"-c{CONCURRENCY}",
        f"-d{seconds:g}s",
        "--timeout",
        "5s",
        "-s",
        str(HERE / "stats.lua"),
        "-H",
        "X-Forwarded-Proto: https",
        server.url(path),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
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


def hostile_rows(server: Server, pages: dict, size: str, cache: str) -> list[dict]:
    """Post the hostile proposals on the upcoming call, then load home and the call
    page again; rows named as in ADVERSARIAL_PAGES."""
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
    rows += bench_server(server, hostile, size, cache)
    return [row for row in rows if row["page"] != STATIC_PAGE.name]


# The run -----------------------------------------------------------------------


def bench_server(server: Server, pages: dict, size: str, cache: str) -> list[dict]:
    """Warm every page up, then load each for RUNS rounds; one row per page."""
    available, rows = {}, []
    for name, path in pages.items():
        status, headers, body = server.get(path)
        if status == 404:
            rows.append(missing_row(name, size, cache))
            continue
        if status != 200:
            raise SystemExit(f"{name} ({path}) answered {status} before the load")
        # Steady state: a worker's first request also opens its database
        # connection (a few set-up queries), so take the median of several.
        counts = []
        for _ in range(QUERY_SAMPLES):
            status, headers, body = server.get(path)
            counts.append(int(headers.get("X-Queries", -1)))
        available[name] = {
            "path": path,
            "queries": int(statistics.median(counts)),
            "bytes": len(body),
        }
    runs: dict[str, list] = {name: [] for name in [*available, STATIC_PAGE.name]}
    for round_ in range(RUNS):
        log(f"{size}, cache {cache}: round {round_ + 1}/{RUNS}")
        static_run = wrk(server, STATIC_PAGE.path, SECONDS)
        runs[STATIC_PAGE.name].append(static_run)
        for name, page in available.items():
            run = wrk(server, page["path"], SECONDS)
            # On a shared machine the load moves: compare with this round's static.
            run["ratio"] = run["rps"] / static_run["rps"]
            runs[name].append(run)
    static = median_of(runs[STATIC_PAGE.name])
    for name, page in available.items():
        figures = median_of(runs[name])
        ratio = statistics.median(run["ratio"] for run in runs[name])
        rows.append(
            {
                "page": name,
                "size": size,
                "cache": cache,
                "status": "ok",
                "rps": round(figures["rps"], 1),
                "p50_ms": round(figures["p50_ms"], 2),
                "p95_ms": round(figures["p95_ms"], 2),
                "p99_ms": round(figures["p99_ms"], 2),
                "ratio_to_static": round(ratio, 2),
                "queries": page["queries"],
                "bytes": page["bytes"],
                "errors": figures["errors"],
                "requests": figures["requests"],
                "path": page["path"],
            }
        )
    rows.append(
        {
            "page": STATIC_PAGE.name,
            "size": "static",
            "cache": cache,
            "status": "ok",
            "rps": round(static["rps"], 1),
            "p50_ms": round(static["p50_ms"], 2),
            "p95_ms": round(static["p95_ms"], 2),
            "p99_ms": round(static["p99_ms"], 2),
            "ratio_to_static": 1.0,
            "queries": 0,
            "errors": static["errors"],
            "requests": static["requests"],
            "served_beside": size,
        }
    )
    return rows


def missing_row(name: str, size: str, cache: str) -> dict:
    return {
        "page": name,
        "size": size,
        "cache": cache,
        "status": "missing",
        "rps": None,
        "p50_ms": None,
        "p99_ms": None,
        "ratio_to_static": None,
        "queries": None,
        "errors": 0,
    }


def add_large_small_ratios(rows: list[dict]) -> None:
    by_key = {(r["page"], r["size"], r["cache"]): r for r in rows}
    for row in rows:
        small = by_key.get((row["page"], "small", row["cache"]))
        if row["size"] == "large" and small and row["rps"] and small["rps"]:
            row["large_small_ratio"] = round(small["rps"] / row["rps"], 2)


def main() -> int:
    began = time.monotonic()
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        print("bench: run me through tests/with_postgres.sh (`make bench`).")
        return 2
    if not shutil.which("wrk"):
        print("bench: wrk is missing; `apt-get install wrk` (make bench does it).")
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="callbook-bench-"))
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "STATIC_ROOT": str(tmp / "static"),
        "CACHE_URL": "db://callbook_cache",
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
    servers: list[Server] = []
    rows: list[dict] = []
    extras: dict = {"generate_seconds": {}}
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
            databases[size] = (db_env, facts)

        # The static baseline: as large as the meeting page the bench loads.
        reference_env, reference_facts = databases[SELECTED_SIZES[-1]]
        probe = Server(reference_env, tmp / "probe.log")
        servers.append(probe)
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
            pages = {page.name: page.path.format(**facts) for page in PAGES}
            if ONLY == "adversarial":
                server = Server({**db_env, "PAGE_CACHE": "true"}, tmp / f"{size}.log")
                servers.append(server)
                server.start()
                normal = {name: pages[name] for name in ADVERSARIAL_PAGES}
                rows += bench_server(server, normal, size, "on")
                rows += hostile_rows(server, pages, size, "on")
                server.stop()
                continue
            for cache in ("on", "off"):
                page_cache = "true" if cache == "on" else "false"
                server_env = {**db_env, "PAGE_CACHE": page_cache}
                server = Server(server_env, tmp / f"{size}-{cache}.log")
                servers.append(server)
                server.start()
                rows += bench_server(server, pages, size, cache)
                if cache == "on":
                    rows += hostile_rows(server, pages, size, cache)
                if size == SELECTED_SIZES[-1] and cache == "on":
                    extras["writes"] = writes(server, pages["propose form"], db_env)
                server.stop()
            if size == "large" and not ONLY:
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
        if not ONLY:
            extras["import"] = import_throughput(env, tmp, base_url)
    finally:
        for server in servers:
            server.stop()
        shutil.rmtree(tmp, ignore_errors=True)

    add_large_small_ratios(rows)
    extras["total_seconds"] = round(time.monotonic() - began, 1)
    (ROOT / "bench-results.json").write_text(json.dumps(rows, indent=2) + "\n")
    print_report(rows, extras)
    failed = sum(row["errors"] for row in rows)
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


def print_report(rows: list[dict], extras: dict) -> None:
    header = (
        f"{'page':<17}{'size':<7}{'cache':<6}{'rps':>8}{'p50 ms':>8}{'p99 ms':>8}"
        f"{'x static':>9}{'queries':>8}{'L/S':>6}{'errors':>7}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    names = [page.name for page in [*PAGES, STATIC_PAGE]]
    names += list(ADVERSARIAL_PAGES.values())
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
    print(
        f"\nc={CONCURRENCY}, {SECONDS:g} s per page, median of {RUNS} runs; x static: "
        "median over the runs of rps / the static file's rps in the same round; "
        "queries: median of 7 requests; L/S: small rps / large rps."
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
        print(f"Writes under load: {writes['status']} (no propose form yet)")
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
    print_targets(rows)
    print(f"Total bench time: {extras['total_seconds']:.0f} s")


def print_targets(rows: list[dict]) -> None:
    by_key = {(r["page"], r["size"], r["cache"]): r for r in rows}
    checks = []
    for row in rows:
        if row["page"] in STATIC_TARGET_PAGES and row["cache"] == "on":
            if row["status"] != "ok":
                continue
            checks.append(
                (
                    f"{row['page']} ({row['size']}) >= 0.7x static, p99 < 50 ms",
                    row["ratio_to_static"] >= 0.7 and row["p99_ms"] < 50,
                    f"{row['ratio_to_static']:.2f}x, p99 {row['p99_ms']:.1f} ms",
                )
            )
    raw = by_key.get(("meeting", "large", "off"))
    if raw and raw["status"] == "ok":
        checks.append(
            (
                "meeting (large, cache off) >= 300 rps, <= 8 queries",
                raw["rps"] >= 300 and raw["queries"] <= 8,
                f"{raw['rps']:.0f} rps, {raw['queries']} queries",
            )
        )
    for row in rows:
        if "large_small_ratio" in row:
            small = by_key[(row["page"], "small", row["cache"])]
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
    for normal_name, hostile_name in ADVERSARIAL_PAGES.items():
        for size in SIZES:
            normal = by_key.get((normal_name, size, "on"))
            hostile = by_key.get((hostile_name, size, "on"))
            if hostile and hostile["status"] == "failed":
                checks.append(
                    (f"{hostile_name} ({size}) answers", False, hostile["answer"])
                )
                continue
            if not (normal and hostile and normal["rps"] and hostile["rps"]):
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
    search = by_key.get(("search", "large", "on"))
    if search and search["status"] == "ok":
        checks.append(
            (
                "search (large) p95 < 100 ms",
                search["p95_ms"] < 100,
                f"p95 {search['p95_ms']:.1f} ms",
            )
        )
    else:
        checks.append(("search (large) p95 < 100 ms", None, "missing"))
    failed = sum(r["errors"] for r in rows)
    checks.append(("zero failed requests", failed == 0, f"{failed} failed"))
    print("\nTargets:")
    for label, met, figure in checks:
        verdict = {True: "met   ", False: "MISSED", None: "n/a   "}[met]
        print(f"  {verdict} {label}: {figure}")


if __name__ == "__main__":
    sys.exit(main())
