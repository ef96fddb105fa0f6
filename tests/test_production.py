"""Production settings and serving: check --deploy, HTTPS, CSP, gunicorn."""

import os
import re
import runpy
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from config.settings import cache_from_url
from meetings.models import Meeting

ROOT = Path(__file__).resolve().parent.parent


def example_env() -> dict:
    """.env.example's variables exactly as written, placeholder secret key included."""
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT)}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if re.match(r"^[A-Z_]+=", line):
            key, value = line.split("=", 1)
            env[key] = value
    return env


def production_env(**overrides) -> dict:
    """The environment .env.example describes, with a secret key of its own, as an
    operator following the README would pass it."""
    env = example_env() | {"SECRET_KEY": secrets.token_urlsafe(50)}
    return env | overrides


def run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_silent_with_the_example_production_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_check_deploy_does_warn_when_https_settings_are_off():
    # The control for the test above: the check really looks at these settings.
    env = production_env(SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "security.W004" in result.stderr + result.stdout
    assert "security.W008" in result.stderr + result.stdout


def test_the_placeholder_secret_key_fails_check_deploy_and_refuses_to_start():
    env = example_env()
    assert env["SECRET_KEY"].startswith("change-me")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is still the placeholder from .env.example" in result.stderr
    started = run_python(
        "import django; django.setup()",
        env | {"DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert started.returncode != 0
    assert "placeholder" in started.stderr
    # Nor the development key, typed into a production environment by mistake.
    started = run_python(
        "import django; django.setup()",
        env
        | {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "django-insecure-callbook-development-only",
        },
    )
    assert started.returncode != 0


def test_without_a_secret_key_production_refuses_to_start():
    env = production_env()
    del env["SECRET_KEY"]
    result = run_python(
        "import django; django.setup()",
        env | {"DJANGO_SETTINGS_MODULE": "config.settings"},
    )
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    """collectstatic once, with the production storage (hashed, compressed)."""
    folder = tmp_path_factory.mktemp("static")
    env = production_env(STATIC_ROOT=str(folder))
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=300,
    )
    return folder


def test_production_answers_over_https_only_with_strict_headers(tmp_path, static_root):
    code = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client()
plain = client.get("/calls/", HTTP_HOST="calls.example.org")
print("plain", plain.status_code, plain["Location"])
secure = client.get(
    "/calls/", HTTP_HOST="calls.example.org", HTTP_X_FORWARDED_PROTO="https"
)
print("secure", secure.status_code)
for name in ("Strict-Transport-Security", "Content-Security-Policy",
             "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options",
             "Cross-Origin-Opener-Policy", "ETag"):
    print(name + ":", secure.get(name))
from django.conf import settings
print("cookies", settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE)
print("sessions", settings.SESSION_ENGINE)
print("cache", settings.CACHES["default"]["BACKEND"])
"""
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        CACHE_URL="locmem://",
        STATIC_ROOT=str(static_root),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "plain 301 https://calls.example.org/calls/" in out
    assert "secure 200" in out
    assert (
        "Strict-Transport-Security: max-age=31536000; includeSubDomains; preload"
        in (out)
    )
    assert "Content-Security-Policy: default-src 'self'; script-src 'self';" in out
    assert "unsafe-inline" not in out
    assert "X-Content-Type-Options: nosniff" in out
    assert "X-Frame-Options: DENY" in out
    assert "ETag: None" not in out  # the archive is served by the page cache
    assert "cookies True True" in out
    assert "sessions django.contrib.sessions.backends.db" in out


def test_production_refuses_unknown_hosts_and_frames_cached_pages(
    tmp_path, static_root
):
    code = """
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
client = Client(raise_request_exception=False)
for path in ("/", "/calls/", "/no-such-page/"):
    r = client.get(path, HTTP_HOST="evil.example", HTTP_X_FORWARDED_PROTO="https")
    print("unknown host", path, r.status_code)
for attempt in ("first", "cached"):
    r = client.get(
        "/calls/", HTTP_HOST="calls.example.org", HTTP_X_FORWARDED_PROTO="https"
    )
    print(attempt, r.status_code, r["ETag"] is not None, "|".join(
        f"{name}={r.get(name)}" for name in (
            "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy",
            "Cross-Origin-Opener-Policy", "Strict-Transport-Security",
            "Content-Security-Policy",
        )
    ))
"""
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        CACHE_URL="locmem://",
        STATIC_ROOT=str(static_root),
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for path in ("/", "/calls/", "/no-such-page/"):
        assert f"unknown host {path} 400" in out, out + result.stderr
    first, cached = (
        line.split(" ", 3)
        for line in out.splitlines()
        if line.startswith(("first", "cached"))
    )
    assert first[1] == cached[1] == "200"
    assert cached[2] == "True"  # served by the page cache
    assert "X-Frame-Options=DENY" in cached[3]
    assert cached[3] == first[3]
    assert "=None" not in cached[3]


CACHE_CODE = """
import django
django.setup()
from django.conf import settings
print(settings.CACHES["default"]["BACKEND"], settings.CACHES["default"].get("LOCATION"))
"""


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        # .env.example as written: the Redis of the channel layer is the cache too.
        ({}, "redis.RedisCache redis://redis.internal:6379/1"),
        ({"REDIS_URL": ""}, "db.DatabaseCache callbook_cache"),
        ({"CACHE_URL": "db://pages"}, "db.DatabaseCache pages"),
    ],
)
def test_the_shared_cache_follows_cache_url_then_redis_url(overrides, expected):
    env = production_env(DJANGO_SETTINGS_MODULE="config.settings", **overrides)
    result = run_python(CACHE_CODE, env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"django.core.cache.backends.{expected}"


@pytest.mark.parametrize(
    ("url", "backend", "location"),
    [
        ("db://", "django.core.cache.backends.db.DatabaseCache", "callbook_cache"),
        ("db://pages", "django.core.cache.backends.db.DatabaseCache", "pages"),
        (
            "redis://cache.internal:6379/1",
            "django.core.cache.backends.redis.RedisCache",
            "redis://cache.internal:6379/1",
        ),
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache", None),
        ("dummy://", "django.core.cache.backends.dummy.DummyCache", None),
    ],
)
def test_cache_urls(url, backend, location):
    config = cache_from_url(url)
    assert config["BACKEND"] == backend
    assert config.get("LOCATION") == location


def test_an_unknown_cache_url_is_refused():
    with pytest.raises(ImproperlyConfigured, match="use db://TABLE"):
        cache_from_url("memcached://x")


@pytest.mark.django_db
def test_the_query_header_is_sent_in_bench_mode_only(settings):
    assert "X-Queries" not in Client().get("/calls/")
    settings.BENCH_QUERY_HEADER = True
    response = Client().get("/calls/")  # a new client loads the middleware anew
    assert int(response["X-Queries"]) >= 1


def test_gunicorn_workers_default_to_twice_the_cores_plus_one(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert config["workers"] == os.cpu_count() * 2 + 1
    # ASGI: the live notebook's WebSockets are served by the same workers.
    assert config["wsgi_app"] == "config.asgi:application"
    assert config["worker_class"] == "uvicorn_worker.UvicornWorker"
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    monkeypatch.setenv("BIND", "127.0.0.1:9999")
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert config["workers"] == 2
    assert config["bind"] == "127.0.0.1:9999"


@pytest.mark.parametrize(
    ("serve", "app", "worker_class"),
    [
        ("all", "config.asgi:application", "uvicorn_worker.UvicornWorker"),
        ("pages", "config.wsgi:application", "sync"),
        ("live", "config.asgi:application", "uvicorn_worker.UvicornWorker"),
    ],
)
def test_serve_picks_the_application_and_the_workers(
    monkeypatch, serve, app, worker_class
):
    monkeypatch.setenv("SERVE", serve)
    monkeypatch.delenv("GUNICORN_WORKER_CLASS", raising=False)
    config = runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))
    assert (config["wsgi_app"], config["worker_class"]) == (app, worker_class)


def test_an_unknown_serve_mode_is_refused(monkeypatch):
    monkeypatch.setenv("SERVE", "everything")
    with pytest.raises(RuntimeError, match="SERVE='everything': use one of all, pages"):
        runpy.run_path(str(ROOT / "config" / "gunicorn.conf.py"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str, **headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_gunicorn_serves_pages_and_hashed_static_files(tmp_path, static_root):
    """What `make serve` runs: collectstatic, migrate, cache table, gunicorn."""
    port = free_port()
    env = production_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        STATIC_ROOT=str(static_root),
        ALLOWED_HOSTS="127.0.0.1",
        BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        REDIS_URL="",  # no Redis here: the cache table, as without REDIS_URL
    )
    for command in (
        ["migrate", "--noinput", "-v0"],
        ["createcachetable"],
    ):
        subprocess.run(
            [sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True
        )
    log = tmp_path / "gunicorn.log"
    with log.open("w") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                status, headers, body = fetch(
                    base + "/calls/", **{"X-Forwarded-Proto": "https"}
                )
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + log.read_text())
        assert status == 200
        assert "Content-Security-Policy" in headers
        assert headers["ETag"]
        again, _h, _b = fetch(
            base + "/calls/",
            **{"X-Forwarded-Proto": "https", "If-None-Match": headers["ETag"]},
        )
        assert again == 304
        css = re.search(rb'href="(/static/css/site\.[0-9a-f]{12}\.css)"', body)
        assert css, body[:500]
        status, headers, _body = fetch(
            base + css.group(1).decode(), **{"X-Forwarded-Proto": "https"}
        )
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            opener.open(base + "/calls/", timeout=10)
        redirect.value.close()
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"].startswith("https://")
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.mark.django_db
def test_meeting_search_can_use_the_gin_index():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("The full-text index exists on PostgreSQL only.")
    from django.contrib.postgres.search import SearchQuery

    # What Meeting.objects.search() filters on: the stored, indexed vector (on a
    # near-empty table the planner would rather use the status index).
    query = Meeting.objects.filter(
        search_vector=SearchQuery("plugin release", config="english")
    ).values("pk")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = query.explain()
    assert "meetings_meeting_search" in plan
