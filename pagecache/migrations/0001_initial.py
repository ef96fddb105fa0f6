# SiteGeneration moved here from `people`. Its table is kept: this migration only
# tells Django the model now lives in `pagecache` (people.0004 forgets it there);
# 0002 then renames the table, keeping its row.

from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("people", "0002_site_generation"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SiteGeneration",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("stamp", models.CharField(max_length=32, verbose_name="stamp")),
                        (
                            "changed_at",
                            models.DateTimeField(verbose_name="changed at"),
                        ),
                    ],
                    options={
                        "verbose_name": "site generation",
                        "verbose_name_plural": "site generations",
                        "db_table": "people_sitegeneration",
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
