"""A throwaway nginx with the repository's config (deploy/nginx.conf) on loopback.

Used by tests/test_nginx.py and `make bench`, the way tests/with_redis.sh starts
Redis: Debian's nginx on a free 127.0.0.1 port, its pid file, logs and temporary
files in a temporary folder that stop() removes.

    proxy = Nginx(
        upstreams=[8001, 8002], live_upstreams=[9001, 9002], static_root=Path("static")
    ).start()
    ...
    proxy.stop()
"""

import getpass
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "deploy" / "nginx.conf"
HOST = "127.0.0.1"


def nginx_binary() -> str | None:
    """Debian's nginx (in /usr/sbin, which a non-root PATH may lack), or None."""
    found = shutil.which("nginx")
    if found:
        return found
    return "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def upstream_line(port: int, fail_timeout: int = 5) -> str:
    return f"server {HOST}:{port} max_fails=1 fail_timeout={fail_timeout}s;"


def render(
    *,
    prefix: Path,
    listen: str,
    upstreams: list[int],
    static_root: Path,
    live_upstreams: list[int] | None = None,
    scheme: str = "https",
    access_log: str = "off",
    user: str | None = None,
) -> str:
    """deploy/nginx.conf with every @NAME@ filled in; WebSockets go to
    `live_upstreams`, or to `upstreams` (SERVE=all app servers) without them."""
    values = {
        "USER": user or getpass.getuser(),
        "PREFIX": str(prefix),
        "ACCESS_LOG": access_log,
        "LISTEN": listen,
        "SERVERS": "\n        ".join(upstream_line(port) for port in upstreams),
        "LIVE_SERVERS": "\n        ".join(
            upstream_line(port) for port in (live_upstreams or upstreams)
        ),
        "STATIC_ROOT": str(static_root).rstrip("/"),
        "SCHEME": scheme,
    }
    lines = []
    for line in CONFIG.read_text().splitlines(keepends=True):
        if not line.lstrip().startswith("#"):  # the header names every @NAME@
            for name, value in values.items():
                line = line.replace(f"@{name}@", value)
            if "@" in line:
                raise ValueError(f"deploy/nginx.conf: render() cannot fill {line!r}")
        lines.append(line)
    return "".join(lines)


class Nginx:
    """nginx in front of app servers on `upstreams` and live servers on
    `live_upstreams` (loopback ports)."""

    def __init__(
        self,
        *,
        upstreams: list[int],
        static_root: Path,
        live_upstreams: list[int] | None = None,
    ):
        self.binary = nginx_binary()
        if self.binary is None:
            raise FileNotFoundError("nginx is not installed (apt-get install nginx)")
        self.upstreams = upstreams
        self.live_upstreams = live_upstreams
        self.static_root = static_root
        self.port = free_port()
        self.prefix = Path(tempfile.mkdtemp(prefix="callbook-nginx-"))
        self.process = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def error_log(self) -> str:
        path = self.prefix / "error.log"
        return path.read_text() if path.exists() else ""

    def start(self) -> "Nginx":
        for folder in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "cache"):
            (self.prefix / folder).mkdir()
        config = self.prefix / "nginx.conf"
        config.write_text(
            render(
                prefix=self.prefix,
                listen=f"{HOST}:{self.port}",
                upstreams=self.upstreams,
                live_upstreams=self.live_upstreams,
                static_root=self.static_root,
            )
        )
        command = [self.binary, "-p", str(self.prefix), "-c", str(config)]
        checked = subprocess.run([*command, "-t", "-q"], capture_output=True, text=True)
        if checked.returncode != 0:
            self.stop()
            raise RuntimeError(f"nginx -t refused the config:\n{checked.stderr}")
        self.process = subprocess.Popen(
            [*command, "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = self.error_log
                self.stop()
                raise RuntimeError(f"nginx exited:\n{log}")
            try:
                socket.create_connection((HOST, self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TimeoutError("nginx did not listen within 10 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            # SIGTERM: nginx's fast shutdown, master and workers.
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.prefix, ignore_errors=True)
