"""Staff accounts in their roles, for the MC workflow's tests.

The Maintainer and MC groups come from the data migration `agenda 0002_mc_roles`;
transactional tests flush the database, so `ensure_roles` runs that migration's
own function again rather than repeating its permission lists here.
"""

import importlib
from html.parser import HTMLParser

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from tests.factories import AttendeeFactory, UserFactory

PASSWORD = "pw-for-tests"
roles_migration = importlib.import_module("agenda.migrations.0002_mc_roles")
notices_roles = importlib.import_module(
    "notices.migrations.0002_maintainer_permissions"
)


def ensure_roles() -> None:
    if Group.objects.filter(name__in=roles_migration.ROLES).count() < 2:
        roles_migration.create_roles(apps, None)
        notices_roles.grant(apps, None)


# Tests log in with force_login; hashing a real password costs half a second.
NO_PASSWORD = "!"


def staff(username: str, *groups: str, password=NO_PASSWORD, **attendee_fields):
    """A staff user in `groups`, linked to an Attendee (returned too).

    Pass `password=PASSWORD` for a browser test that logs in through the form.
    """
    ensure_roles()
    if password == NO_PASSWORD:
        user = get_user_model().objects.create(
            username=username, is_staff=True, password=NO_PASSWORD
        )
    else:
        user = UserFactory(username=username, is_staff=True)
    user.groups.set(Group.objects.filter(name__in=groups))
    attendee = AttendeeFactory(user=user, **attendee_fields)
    return user, attendee


def mc(username: str = "mc-ann", **fields):
    return staff(username, "MC", **fields)


def maintainer(username: str = "maintainer-max", **fields):
    return staff(username, "Maintainer", **fields)


def fast_superuser(username: str = "root"):
    return get_user_model().objects.create(
        username=username, is_staff=True, is_superuser=True, password=NO_PASSWORD
    )


class _FormFields(HTMLParser):
    """Collect what a browser would submit from one <form> of a page."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: list[tuple[str, str]] = []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("id") == self.form_id
        if not self.inside:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in {"submit", "button", "image", "file"}:
                return
            if kind in {"checkbox", "radio"} and "checked" not in attrs:
                return
            self.data.append(
                (name, attrs.get("value", "on" if kind == "checkbox" else ""))
            )
        elif tag == "select" and name:
            self.select = name
        elif tag == "option" and self.select and "selected" in attrs:
            self.data.append((self.select, attrs.get("value", "")))
        elif tag == "textarea" and name:
            self.textarea, self.text = name, []

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = "".join(self.text)
            self.data.append((self.textarea, text[1:] if text[:1] == "\n" else text))
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)


def form_data(response, form_id: str = "meeting_form") -> dict:
    """The page's form as a browser would post it (lists for repeated names)."""
    parser = _FormFields(form_id)
    parser.feed(response.content.decode())
    data: dict = {}
    for name, value in parser.data:
        if "__prefix__" in name:
            continue
        data.setdefault(name, []).append(value)
    return {
        name: values if len(values) > 1 else values[0] for name, values in data.items()
    }
