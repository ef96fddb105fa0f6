"""Create the two staff roles, Maintainer and MC, as groups with permissions.

The permission lists live here, frozen with the migration. Re-running
`create_roles` is harmless: it sets each group's permissions to exactly these.
Tests that flush the database (transactional tests) call it again.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CRUD = ("add", "change", "delete", "view")

ROLES = {
    # Manages series, people and release teams, moderates any proposal, edits any
    # meeting and reopens finalized notes.
    "Maintainer": [
        *(f"people.{a}_{m}" for m in ("attendee", "alias") for a in CRUD),
        *(
            f"meetings.{a}_{m}"
            for m in (
                "meetingseries",
                "meeting",
                "attendance",
                "releaseteam",
                "githubreference",
            )
            for a in CRUD
        ),
        "meetings.edit_any_meeting",
        "meetings.reopen_meeting",
        *(f"agenda.{a}_{m}" for m in ("agendaitem", "actionitem") for a in CRUD),
    ],
    # Edits the meetings they MC (the admin checks that object by object: their
    # agenda, attendance, action items and closing go through the meeting page),
    # and looks people up for the autocomplete fields. Nothing else.
    "MC": [
        "meetings.view_meeting",
        "meetings.change_meeting",
        "people.view_attendee",
    ],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they
    # exist now so that the groups can point at them.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, labels in ROLES.items():
        permissions = []
        for label in labels:
            app_label, codename = label.split(".")
            permissions.append(
                Permission.objects.get(
                    content_type__app_label=app_label, codename=codename
                )
            )
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(permissions)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("agenda", "0001_initial"),
        ("meetings", "0002_mc_permissions"),
        ("people", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
