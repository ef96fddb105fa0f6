from django.contrib import admin
from django.urls import include, path

from meetings.views import MarkdownPreviewView, markdown_upload_disabled

# A too-large form gets its own message rather than a bare "Bad request".
handler400 = "meetings.views.bad_request"

urlpatterns = [
    # markdownx's own urls.py is not included: its preview and upload views accept
    # anonymous users. The preview goes through our renderer, staff only; uploads
    # are off.
    path(
        "markdownx/markdownify/",
        MarkdownPreviewView.as_view(),
        name="markdownx_markdownify",
    ),
    path("markdownx/upload/", markdown_upload_disabled, name="markdownx_upload"),
    path("admin/", admin.site.urls),
    path("", include("accounts.urls")),
    path("people/", include("people.urls")),
    path("notices/", include("notices.urls")),
    path("", include("agenda.urls")),
    path("", include("meetings.urls")),
]
