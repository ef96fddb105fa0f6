"""How long each chart takes on the database in DATABASE_URL, split into its parts.

    DEBUG=true DATABASE_URL=... .venv/bin/python tests/bench/chart_timings.py

Meant for the large synthetic community (`manage.py generate_fake_community
--meetings 2000`). For each chart it prints the median of RUNS runs of: `data` (its
queries, with rows in Python), `draw` (the SVG and table rows from that data, no
query) and `html` (the chart's template include: figure, legend, data table). The
issue's budget, "a chart renders in under 5 ms", is draw + html.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.db.models import Count  # noqa: E402
from django.template.loader import render_to_string  # noqa: E402
from django.utils import timezone  # noqa: E402

from agenda.models import AgendaItem  # noqa: E402
from meetings import charts  # noqa: E402
from meetings.models import MeetingSeries, ReleaseTeam  # noqa: E402
from people.models import Attendee  # noqa: E402

RUNS = int(os.environ.get("RUNS", "15"))


def median_ms(function) -> tuple[float, object]:
    times, result = [], None
    for _ in range(RUNS):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def measure(name, data, draw):
    data_ms, loaded = median_ms(data)
    draw_ms, chart = median_ms(lambda: draw(loaded))
    html_ms, _html = median_ms(
        lambda: render_to_string("includes/chart.html", {"chart": chart})
    )
    print(
        f"{name:<12} data {data_ms:7.2f} ms  draw {draw_ms:6.2f} ms  "
        f"html {html_ms:6.2f} ms  render {draw_ms + html_ms:6.2f} ms  "
        f"({len(chart.svg):,} B svg, {len(chart.rows)} rows)"
    )
    return draw_ms + html_ms


def main() -> int:
    today = timezone.localdate()
    series = MeetingSeries.objects.annotate(n=Count("meetings")).order_by("-n").first()
    person = Attendee.objects.annotate(n=Count("attendances")).order_by("-n").first()
    if series is None or person is None:
        print("No community here: run manage.py generate_fake_community first.")
        return 2
    print(f"series {series.slug}, person {person.github_handle}, {RUNS} runs")
    calls = charts.series_calls(series)
    worst = max(
        measure(
            "person",
            lambda: charts.activity_weeks(person, charts.person_calls(person)),
            lambda rows: charts.heatmap(person, rows, today=today),
        ),
        measure(
            "attendance",
            lambda: attendance_data(series),
            lambda loaded: charts.attendance_chart(*loaded).chart,
        ),
        measure(
            "rota",
            lambda: charts.series_calls(series),
            lambda loaded: charts.mc_rota(series, loaded),
        ),
        measure(
            "minutes",
            lambda: AgendaItem.objects.filter(
                meeting__in=[c.pk for c in calls[-charts.MINUTES_CALLS :]]
            ).booked_minutes(),
            lambda booked: charts.minutes_booked(series, calls, booked),
        ),
        measure(
            "releases",
            lambda: list(
                ReleaseTeam.objects.select_related(
                    "lead", "meeting__series"
                ).prefetch_related("members")
            ),
            charts.release_timeline,
        ),
        measure(
            "references",
            lambda: references_data(),
            lambda loaded: charts.references_chart(*loaded),
        ),
    )
    print(f"slowest chart render: {worst:.2f} ms (budget 5 ms)")
    return 0


def references_data():
    """The newest year's rows, as the references page reads them."""
    _oldest, newest = charts.reference_bounds()
    last = charts.Quarter.of(newest)
    refs = charts.references_between(last.shift(1 - charts.WINDOW_QUARTERS), last)
    return charts.references_by_quarter(refs), charts.most_discussed_per_quarter(refs)


def attendance_data(series):
    calls = charts.series_calls(series)
    return calls, *charts.attendance_buckets(calls, charts.joined_by_call(series))


if __name__ == "__main__":
    sys.exit(main())
