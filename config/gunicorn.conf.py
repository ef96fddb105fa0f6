"""gunicorn settings for `make serve` and the bench, read from the environment.

SERVE says what this app server answers:
- `all` (the default): pages and the live notebook's WebSockets on one port, as
  ASGI under uvicorn workers. One server and no proxy in front.
- `pages`: pages only, as WSGI under sync workers. Behind nginx, which sends
  `/ws/` elsewhere. The fast path for pages: no event loop and no thread hop per
  request (the bench measured 2-3x the rps of the same pages under uvicorn).
- `live`: the live notebook's WebSockets (`/ws/`), ASGI under uvicorn workers.

gunicorn reads WEB_CONCURRENCY itself as well; the default here is the usual
2 x cores + 1 workers. Each worker holds one persistent database connection
(CONN_MAX_AGE) and one for the page cache's LISTEN, so 2 x workers x app servers
must stay below PostgreSQL's max_connections.
"""

import multiprocessing
import os

SERVE_MODES = {
    "all": ("config.asgi:application", "uvicorn_worker.UvicornWorker"),
    "pages": ("config.wsgi:application", "sync"),
    "live": ("config.asgi:application", "uvicorn_worker.UvicornWorker"),
}
serve = os.environ.get("SERVE", "all")
if serve not in SERVE_MODES:
    raise RuntimeError(f"SERVE={serve!r}: use one of {', '.join(SERVE_MODES)}.")
wsgi_app, default_worker_class = SERVE_MODES[serve]
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", default_worker_class)
bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Behind a proxy: trust its X-Forwarded-* headers (comma-separated addresses).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
