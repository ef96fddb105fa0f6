"""Give a Maintainer grant to every person whose account is in the Maintainer group.

Roles are now given by handle (meetings/roles.py) and a sign-in sets the groups
from the grants, so existing Maintainers need a grant to stay Maintainers.
"""

from django.db import migrations


def grant_existing_maintainers(apps, schema_editor):
    Attendee = apps.get_model("people", "Attendee")
    RoleGrant = apps.get_model("meetings", "RoleGrant")
    for person in Attendee.objects.filter(
        user__groups__name="Maintainer", user__is_active=True
    ).distinct():
        RoleGrant.objects.get_or_create(
            attendee=person, role="maintainer", meeting=None
        )


class Migration(migrations.Migration):
    dependencies = [
        ("meetings", "0006_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(grant_existing_maintainers, migrations.RunPython.noop)
    ]
