"""The deployment recipe: deploy/nginx.conf in front of an app server (gunicorn,
SERVE=pages: WSGI sync workers) and a live server (gunicorn, SERVE=live: a uvicorn
worker), production settings, on loopback.

nginx serves a collected static file itself, proxies a page to the app server, and
passes the live notebook's WebSocket upgrade through to the live server. Runs in
the PostgreSQL half of `make test` (the servers are their own processes and read
the test database); skips locally without nginx, fails in CI.
"""

import json
import os
import re
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from meetings.models import Meeting
from tests.e2e import servers
from tests.factories import MeetingFactory
from tests.nginx import ROOT, Nginx, free_port, nginx_binary, render

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def production_env(tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("The app server reads the test database: PostgreSQL half only.")
    if nginx_binary() is None:
        if os.environ.get("CI") == "true":
            pytest.fail("nginx is missing in CI: .ci/run installs it with apt-get.")
        pytest.skip("No nginx (apt-get install nginx): deployment test skipped.")
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": servers.test_database_url(),
        "STATIC_ROOT": str(tmp_path / "static"),
        "TRUSTED_PROXIES": "127.0.0.1",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "CONN_MAX_AGE": "0",
        "CACHE_URL": "locmem://",  # one app server; the bench shares a real cache
        "PAGE_CACHE_LISTEN": "false",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


def gunicorn(production_env: dict, tmp_path: Path, serve: str):
    """gunicorn as README's process list runs it, one worker, SERVE=serve."""
    port = free_port()
    log = (tmp_path / f"gunicorn-{serve}.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py"],
        cwd=ROOT,
        env={
            **production_env,
            "SERVE": serve,
            "BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": "1",
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        servers.wait_for_port(port, 30)
        yield port
    finally:
        process.terminate()
        process.wait(20)
        log.close()


@pytest.fixture
def app_server(production_env, tmp_path):
    yield from gunicorn(production_env, tmp_path, "pages")


@pytest.fixture
def live_server_port(production_env, tmp_path):
    yield from gunicorn(production_env, tmp_path, "live")


@pytest.fixture
def proxy(app_server, live_server_port, production_env):
    nginx = Nginx(
        upstreams=[app_server],
        live_upstreams=[live_server_port],
        static_root=production_env["STATIC_ROOT"],
    ).start()
    yield nginx
    nginx.stop()


def get(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=20) as response:
        return response.status, response.headers, response.read()


def test_the_config_has_no_placeholder_left_and_lists_every_app_server(tmp_path):
    text = render(
        prefix=tmp_path,
        listen="127.0.0.1:8080",
        upstreams=[8001, 8002, 8003],
        live_upstreams=[9001, 9002],
        static_root=tmp_path / "static/",
        user="www-data",
    )
    body = "".join(x for x in text.splitlines() if not x.lstrip().startswith("#"))
    assert "@" not in body
    assert "user www-data;" in body
    pages, live = body.split("upstream callbook_live")
    for port in (8001, 8002, 8003):
        assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" in pages
    for port in (9001, 9002):
        assert f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" in live
        assert f"127.0.0.1:{port}" not in pages
    assert re.search(r"location /ws/ \{\s+proxy_pass http://callbook_live;", text)
    # Without live servers, the app servers (SERVE=all) answer WebSockets too.
    single = render(
        prefix=tmp_path, listen="127.0.0.1:8080", upstreams=[8001], static_root=tmp_path
    )
    live = single.split("upstream callbook_live")[1].split("}")[0]
    assert "server 127.0.0.1:8001 max_fails=1" in live
    assert f"alias {tmp_path}/static/;" in text
    assert "proxy_next_upstream error timeout http_502 http_503 http_504;" in text


def test_nginx_serves_static_files_itself(proxy, production_env):
    static_root = Path(production_env["STATIC_ROOT"])
    manifest = json.loads((static_root / "staticfiles.json").read_text())
    hashed = manifest["paths"]["css/site.css"]
    status, headers, body = get(f"{proxy.url}/static/{hashed}")
    assert status == 200
    assert body == (static_root / hashed).read_bytes()
    # nginx's own headers (deploy/nginx.conf), not WhiteNoise's through the app.
    assert headers.get_all("Cache-Control") == ["public, max-age=31536000, immutable"]
    assert headers["Server"] == "nginx"
    assert "Content-Security-Policy" not in headers


def test_a_page_goes_through_to_the_app_server(proxy):
    meeting = MeetingFactory(
        status=Meeting.Status.FINALIZED,
        start=timezone.now() - timezone.timedelta(days=7),
        highlights="Shipped **through nginx**.",
    )
    status, headers, body = get(proxy.url + meeting.get_absolute_url())
    assert status == 200  # X-Forwarded-Proto https from nginx: no SSL redirect
    assert "<strong>through nginx</strong>" in body.decode()
    assert "Content-Security-Policy" in headers  # Django's middleware answered
    # A client cannot claim to be on https: nginx overwrites the header.
    status, headers, _ = get(proxy.url + "/calls/", **{"X-Forwarded-Proto": "http"})
    assert status == 200


def test_the_live_notes_websocket_upgrade_passes_through(proxy):
    from websockets.sync.client import connect

    meeting = MeetingFactory(
        status=Meeting.Status.HELD,
        start=timezone.now() - timezone.timedelta(minutes=10),
        highlights="Typed **live**.",
    )
    url = proxy.url.replace("http://", "ws://") + f"/ws/follow/{meeting.pk}"
    with connect(url, origin=proxy.url, open_timeout=20) as socket:
        message = json.loads(socket.recv(timeout=20))
    assert message["html"]["highlights"] == "<p>Typed <strong>live</strong>.</p>\n"


def test_nginx_keeps_public_pages_and_never_private_ones(proxy):
    meeting = MeetingFactory(
        status=Meeting.Status.FINALIZED,
        start=timezone.now() - timezone.timedelta(days=7),
    )
    url = proxy.url + meeting.get_absolute_url()
    # Back to back, a public page is answered by nginx (its microcache).
    seen = [get(url)[1]["X-Cache"] for _ in range(5)]
    assert "HIT" in seen
    # A visitor with a session (staff may see drafts) always reaches the app.
    _, headers, _ = get(url, Cookie="sessionid=abc")
    assert headers["X-Cache"] == "BYPASS"
    # Home is not public (it depends on the clock): never kept.
    seen = [get(proxy.url + "/")[1]["X-Cache"] for _ in range(3)]
    assert "HIT" not in seen


def test_an_edit_shows_through_nginx_once_its_copy_is_ten_seconds_old(proxy):
    meeting = MeetingFactory(
        status=Meeting.Status.FINALIZED,
        start=timezone.now() - timezone.timedelta(days=7),
        highlights="Said **first**.",
    )
    url = proxy.url + meeting.get_absolute_url()
    assert "<strong>first</strong>" in get(url)[2].decode()
    kept = time.monotonic()
    meeting.highlights = "Said **again**."
    meeting.save()
    # A signed-in editor passes nginx by and sees the edit at once.
    assert "<strong>again</strong>" in get(url, Cookie="sessionid=x")[2].decode()
    # Visitors get nginx's copy for ten seconds, not one...
    time.sleep(max(0, kept + 5 - time.monotonic()))
    _, headers, body = get(url)
    assert headers["X-Cache"] == "HIT"
    assert "<strong>first</strong>" in body.decode()
    # ...then the first one after that starts a refresh, and the edit shows.
    time.sleep(max(0, kept + 10.5 - time.monotonic()))
    deadline = time.monotonic() + 5
    while "<strong>again</strong>" not in get(url)[2].decode():
        assert time.monotonic() < deadline, "the edit never showed through nginx"
        time.sleep(0.2)
