"""Time the indexed full-text query on the database in DATABASE_URL; print JSON.

The search page's own query (Meeting.objects.search, answered from the GIN index
of meetings/migrations/0004_search_document.py), ranked, first 20 hits, for a
spread of terms (p50/p95 over 200 queries), without HTTP around it.
"""

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db import connection  # noqa: E402

from meetings.models import Meeting  # noqa: E402

TERMS = [
    "plugin",
    "release",
    "kernel probe",
    "helm chart",
    "memory leak",
    "governance",
    "conference",
    "arm64 packaging",
    "flaky test",
    "ebpf",
]
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
timings = []
for index in range(200):
    term = TERMS[index % len(TERMS)]
    began = time.perf_counter()
    list(Meeting.objects.search(term).values_list("pk", "headline")[:20])
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
