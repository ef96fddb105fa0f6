"""The bench's plain Python static server: WhiteNoise alone, no Django.

`make bench` serves its baseline file with it (gunicorn, as many workers as the
app server) so that `x static` compares a page with a Python server doing
nothing but send a file of the same size:

    BENCH_STATIC_ROOT=DIR gunicorn tests.bench.static_app:application
"""

import os

from whitenoise import WhiteNoise


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found"]


application = WhiteNoise(
    not_found, root=os.environ["BENCH_STATIC_ROOT"], prefix="static/"
)
