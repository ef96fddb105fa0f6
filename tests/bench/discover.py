"""Print, as JSON, the URLs the bench needs from the database in DATABASE_URL."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db.models import Count  # noqa: E402

from meetings.models import Meeting  # noqa: E402
from people.models import Attendee  # noqa: E402

finalized = Meeting.objects.finalized().order_by("-start")
# A typical call from the middle of the archive: 20 items, no release team (a call
# that formed one also loads its lead and helpers), the same kind at every size.
typical = finalized.filter(release_teams__isnull=True)
meeting = typical[typical.count() // 2]
# Cache-off rows load a different call per request (wrk's rotate.lua), so no
# per-process memo of one call's render can hit: up to BENCH_ROTATE typical calls
# spread over the whole archive.
rotate = int(os.environ.get("BENCH_ROTATE", "200"))
typical_ids = list(typical.values_list("pk", flat=True))
step = max(1, len(typical_ids) // rotate)
rotation = [
    m.get_absolute_url()
    for m in Meeting.objects.filter(pk__in=typical_ids[::step][:rotate])
    .select_related("series")
    .order_by("-start")
]
# The archive's last page: the calls older than the 21st oldest (keyset pages
# take ?older=<id>; a deep page must cost what the first does).
deep = finalized.order_by("start", "pk").values_list("pk", flat=True)[20:21]
person = Attendee.objects.annotate(n=Count("attendances")).order_by("-n").first()
upcoming = Meeting.objects.scheduled().upcoming().select_related("series").first()
# A term in every call's search text: the most common lexeme of the index.
from django.db import connection  # noqa: E402

with connection.cursor() as cursor:
    cursor.execute(
        "SELECT word FROM ts_stat('SELECT search_vector FROM meetings_meeting "
        "WHERE search_vector IS NOT NULL') ORDER BY ndoc DESC, word LIMIT 1"
    )
    row = cursor.fetchone()
print(
    json.dumps(
        {
            "meeting": meeting.get_absolute_url(),
            "meeting_rotation": rotation,
            "archive_deep": f"/calls/?older={deep[0]}" if deep else "/calls/",
            "person": person.get_absolute_url(),
            "person_calls": person.n,
            # The URL contract: /calls/<series>/<YYYY-MM-DD>/propose/
            "propose": upcoming.get_absolute_url() + "propose/",
            "call": upcoming.get_absolute_url(),
            "meetings": finalized.count(),
            "common_term": row[0] if row else "release",
            "upcoming_items": upcoming.agenda_items.count(),
        }
    )
)
