"""Full-text search reads one stored text and, on PostgreSQL, its stored tsvector.

Searching used to run to_tsvector over every finalized meeting and its agenda on
each query (seconds at 2,000 meetings); now the vector is computed when a meeting
is saved (Meeting.objects.update_search_vectors) and a GIN index answers the match.
SQLite keeps the text only; there the vector column stays NULL and the index
operation does nothing. Existing meetings get their text and vector here.
"""

import django.contrib.postgres.search
from django.contrib.postgres.search import SearchVector
from django.db import migrations, models

INDEX = "meetings_meeting_search"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{INDEX}" ON "meetings_meeting" '
            f'USING gin ("search_vector")'
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


def compose_documents(apps, schema_editor):
    # Historical models have no methods; this mirrors Meeting.compose_search_document
    # and meetings.models.search_vector.
    Meeting = apps.get_model("meetings", "Meeting")
    meetings = list(
        Meeting.objects.select_related("series").prefetch_related("agenda_items")
    )
    for meeting in meetings:
        parts = [meeting.series.title, meeting.highlights, meeting.notes]
        for item in meeting.agenda_items.all():
            parts += [item.title, item.description, item.discussion_notes]
        meeting.search_document = "\n".join(part for part in parts if part)
    Meeting.objects.bulk_update(meetings, ["search_document"], batch_size=500)
    if schema_editor.connection.vendor == "postgresql":
        Meeting.objects.update(
            search_vector=SearchVector("title", weight="A", config="english")
            + SearchVector("search_document", weight="C", config="english")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0003_notes_attendance_written_as"),
        ("agenda", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="meeting",
            name="search_document",
            field=models.TextField(
                blank=True,
                editable=False,
                help_text="Notes and agenda as plain text, for full-text search.",
                verbose_name="search document",
            ),
        ),
        migrations.AddField(
            model_name="meeting",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(
                editable=False, null=True
            ),
        ),
        migrations.RunPython(compose_documents, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
