"""gunicorn settings for `make serve` and the bench, read from the environment.

gunicorn reads WEB_CONCURRENCY itself as well; the default here is the usual
2 x cores + 1 sync workers. Each worker holds one persistent database connection
(CONN_MAX_AGE) and one for the page cache's LISTEN, so 2 x workers x app servers
must stay below PostgreSQL's max_connections.
"""

import multiprocessing
import os

# ASGI (the live notebook's WebSockets): uvicorn workers under gunicorn.
wsgi_app = "config.asgi:application"
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "uvicorn_worker.UvicornWorker")
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
