"""Time the indexed full-text query on the database in DATABASE_URL; print JSON.

Until the public site's /search/ page exists, this is the bench's search figure: the
ORM query that meetings/migrations/0004_prod_search_index.py indexes, newest first,
first 20 hits, for a spread of terms (p50/p95 over 200 queries).
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.postgres.search import SearchQuery, SearchVector  # noqa: E402
from django.db import connection  # noqa: E402

from meetings.models import Meeting  # noqa: E402

TERMS = [
    "plugin", "release", "kernel probe", "helm chart", "memory leak",
    "governance", "conference", "arm64 packaging", "flaky test", "ebpf",
]  # fmt: skip
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
vector = SearchVector("title", "highlights", "notes", config="english")
timings = []
for index in range(200):
    term = TERMS[index % len(TERMS)]
    began = time.perf_counter()
    list(
        Meeting.objects.finalized()
        .annotate(sv=vector)
        .filter(sv=SearchQuery(term, config="english"))
        .order_by("-start")
        .values_list("pk", flat=True)[:20]
    )
    timings.append((time.perf_counter() - began) * 1000)
timings.sort()
print(
    json.dumps(
        {
            "queries": len(timings),
            "p50_ms": round(timings[len(timings) // 2], 2),
            "p95_ms": round(timings[int(len(timings) * 0.95)], 2),
        }
    )
)
