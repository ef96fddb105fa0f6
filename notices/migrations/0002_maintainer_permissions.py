"""Maintainers see the outbox (status, last error), resend notices, and manage the
series' channels and people's notice preferences. MCs get nothing here."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CRUD = ("add", "change", "delete", "view")
MAINTAINER_PERMISSIONS = [
    "view_notice",
    "change_notice",
    *(f"{a}_{m}" for m in ("serieschannels", "preference") for a in CRUD),
]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("notices")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Maintainer")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="notices", codename__in=MAINTAINER_PERMISSIONS
        )
    )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name="Maintainer"):
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="notices")
        )


class Migration(migrations.Migration):
    dependencies = [
        ("notices", "0001_initial"),
        ("agenda", "0002_mc_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
