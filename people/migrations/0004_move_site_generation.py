# SiteGeneration now lives in `pagecache` (pagecache.0001 took it over with its
# table); here Django only forgets it, the table and its row stay.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("people", "0003_attendee_github_id"),
        ("pagecache", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SiteGeneration")],
            database_operations=[],
        ),
    ]
