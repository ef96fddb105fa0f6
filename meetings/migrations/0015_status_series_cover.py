import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0014_series_start_ordinal_index"),
    ]

    operations = [
        # meetings_attendance_unique (meeting, attendee) already serves every
        # lookup by call; its own index was a duplicate.
        migrations.AlterField(
            model_name="attendance",
            name="meeting",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="attendances",
                to="meetings.meeting",
            ),
        ),
        migrations.AddIndex(
            model_name="meeting",
            index=models.Index(
                fields=["status", "series"],
                include=("id", "start", "date", "ordinal"),
                name="meetings_status_series_cover",
            ),
        ),
    ]
