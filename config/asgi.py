"""The ASGI application: Django's pages, and the live notebook's WebSockets.

`make run` serves it with runserver (daphne's, in one process, in-memory channel
layer); `make serve` with uvicorn workers under gunicorn and REDIS_URL's layer.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Django must be set up before the consumers import models.
django_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from agenda.notebook.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        # The session cookie says who is on the socket; a page of another site
        # cannot open one (its Origin is not an allowed host).
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
