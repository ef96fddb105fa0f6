# The moved model takes its app's table name; the row (the current stamp) stays.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("pagecache", "0001_initial"),
        ("people", "0004_move_site_generation"),
    ]

    operations = [
        migrations.AlterModelTable(name="sitegeneration", table=None),
    ]
