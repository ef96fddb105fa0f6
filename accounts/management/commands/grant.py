"""`manage.py grant maintainer HANDLE`: make the first Maintainer (or any role)."""

from django.core.management.base import BaseCommand, CommandError

from meetings.models import Meeting, RoleGrant
from meetings.roles import GRANTABLE, MC, RoleError, grant_role

ROLE_NAMES = {
    "maintainer": RoleGrant.Role.MAINTAINER,
    "mc": MC,
    "note-taker": RoleGrant.Role.NOTE_TAKER,
}


class Command(BaseCommand):
    help = (
        "Give a role by GitHub handle: maintainer, or mc / note-taker of the call "
        "given with --call SERIES/DATE. The person signs in with GitHub and has "
        "the rights; nobody needs a password."
    )

    def add_arguments(self, parser):
        parser.add_argument("role", choices=sorted(ROLE_NAMES))
        parser.add_argument("handle")
        parser.add_argument(
            "--call", default="", help="SERIES/DATE, e.g. community/2026-12-09"
        )

    def handle(self, *args, role, handle, call, **options):
        role = ROLE_NAMES[role]
        meeting = None
        if call:
            series, _sep, date_key = call.partition("/")
            meeting = (
                Meeting.objects.for_series(series)
                .on_date_key(date_key)
                .select_related("series")
                .first()
            )
            if meeting is None:
                raise CommandError(f"No call {call!r} (write SERIES/DATE).")
        try:
            result = grant_role(handle=handle, role=role, meeting=meeting, by=None)
        except RoleError as error:
            raise CommandError(error.message) from error
        person = result.attendee
        when = "now" if result.applied_now else "at their first sign-in with GitHub"
        self.stdout.write(
            f"@{person.github_handle} is {GRANTABLE[role]}"
            f"{' of ' + str(meeting) if meeting else ''}; the rights apply {when}."
        )
