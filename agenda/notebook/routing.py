"""The live notebook's WebSocket addresses (y-websocket appends the room: the
meeting's id)."""

from django.urls import re_path

from agenda.notebook.consumers import FollowConsumer, NotebookConsumer

websocket_urlpatterns = [
    re_path(r"^ws/notebook/(?P<meeting_id>[0-9]+)$", NotebookConsumer.as_asgi()),
    re_path(r"^ws/follow/(?P<meeting_id>[0-9]+)$", FollowConsumer.as_asgi()),
]
