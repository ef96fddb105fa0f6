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
person = Attendee.objects.annotate(n=Count("attendances")).order_by("-n").first()
upcoming = Meeting.objects.scheduled().upcoming().select_related("series").first()
print(
    json.dumps(
        {
            "meeting": meeting.get_absolute_url(),
            "person": person.get_absolute_url(),
            "person_calls": person.n,
            # The URL contract: /calls/<series>/<YYYY-MM-DD>/propose/
            "propose": upcoming.get_absolute_url() + "propose/",
            "call": upcoming.get_absolute_url(),
            "meetings": finalized.count(),
        }
    )
)
