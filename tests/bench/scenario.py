"""Put the bench's database in a state, or back: `scenario.py COMMAND [N]`.

Run with DATABASE_URL set, as discover.py is. Prints one JSON line.

    reset        delete what the bench wrote or staged (its proposals, the hostile
                 ones, the crowd, the call on now), so the next row loads the same
                 page as before
    crowd N      N proposals on the upcoming call (the home page lists them)
    during       a call of the series on now (started 10 minutes ago, 20 items)

Every change goes through the models' querysets, so the site stamp moves and no
cached page survives it.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db.models import Q  # noqa: E402
from django.utils import timezone  # noqa: E402

from agenda.models import AgendaItem  # noqa: E402
from meetings.models import Meeting  # noqa: E402

# Titles the bench writes (run.py's proposals and hostile ones, crowd below).
BENCH_TITLES = ("Bench proposal ", "Hostile ", "Crowd proposal ")
ON_NOW_TITLE = "Bench call on now"


def upcoming() -> Meeting:
    return Meeting.objects.scheduled().upcoming().select_related("series").first()


def reset() -> dict:
    titles = Q()
    for prefix in BENCH_TITLES:
        titles |= Q(title__startswith=prefix)
    items, _ = AgendaItem.objects.filter(titles).delete()
    on_now = Meeting.objects.filter(title=ON_NOW_TITLE)
    items += AgendaItem.objects.filter(meeting__in=on_now).delete()[0]
    calls, _ = on_now.delete()
    return {
        "deleted_items": items,
        "deleted_calls": calls,
        "upcoming_items": upcoming().agenda_items.count(),
    }


def crowd(count: int) -> dict:
    call = upcoming()
    AgendaItem.objects.bulk_create(
        AgendaItem(
            series=call.series,
            meeting=call,
            title=f"Crowd proposal {n}",
            description=f"Proposal {n} of a crowd, with *some* `markdown`.",
            proposer_name=f"Crowd {n}",
            status=AgendaItem.Status.PROPOSED,
            position=1000 + n,
            requested_minutes=5,
        )
        for n in range(count)
    )
    return {
        "path": call.get_absolute_url(),
        "upcoming_items": call.agenda_items.count(),
    }


def during() -> dict:
    template = upcoming()
    now = timezone.now()
    call = Meeting.objects.create(
        series=template.series,
        start=now - timezone.timedelta(minutes=10),
        title=ON_NOW_TITLE,
        mc=template.mc,
        status=Meeting.Status.SCHEDULED,
        ordinal=9,  # beside any real call of the same date
    )
    AgendaItem.objects.bulk_create(
        AgendaItem(
            series=call.series,
            meeting=call,
            title=f"Topic {n} on now",
            description="Discussed *while* the call is on.",
            proposer_name=f"Presenter {n}",
            status=AgendaItem.Status.ACCEPTED,
            position=n,
            requested_minutes=5,
        )
        for n in range(20)
    )
    assert call.is_on(), "the staged call should be on now"
    return {"path": call.get_absolute_url()}


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "reset":
        result = reset()
    elif command == "crowd":
        result = crowd(int(sys.argv[2]))
    elif command == "during":
        result = during()
    else:
        raise SystemExit(__doc__)
    print(json.dumps(result))
