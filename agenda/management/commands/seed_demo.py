"""Load an invented demo community: idempotent, safe to run on every start."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings.models import (
    Attendance,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
    RoleGrant,
)
from meetings.roles import grant_role
from notices.models import Preference, SeriesChannels
from people.models import Alias, Attendee

DEMO_ADMIN_USERNAME = "admin"
DEMO_ADMIN_PASSWORD = "callbook-demo"  # printed on purpose, dev only
# The upcoming call's MC gets a staff login in the MC group, to try the workflow.
DEMO_MC_USERNAME = "dana"
DEMO_MC_HANDLE = "danaruiz"
DEMO_MAINTAINER_HANDLE = "adaquill"

PEOPLE = [
    # display name, handle, aliases, affiliation
    ("Ada Quill", "adaquill", ["Ada"], "Lighthouse Labs"),
    ("Bram Okafor", "bramok", ["Bram"], ""),
    ("Chen Wei", "chenwei-dev", ["Chen"], "Orbit Systems"),
    ("Dana Ruiz", "danaruiz", ["Dana"], ""),
    ("Eli Novak", "elinovak", ["Eli"], "Lighthouse Labs"),
    ("Farah Haddad", "farahh", ["Farah"], ""),
]

PAST_CALLS = [
    # weeks ago, MC, next MC, who joined, highlights, items, actions
    (
        3,
        "adaquill",
        "bramok",
        ["adaquill", "bramok", "chenwei-dev", "danaruiz"],
        "- The 1.4 release is out, thanks to everyone who tested the betas",
        [
            (
                "Ada",
                "Welcome new contributors",
                "- Two first-time contributors said hi",
            ),
            (
                "Bram/Chen",
                "Flaky integration tests",
                "- See example/widget#42\n- Plan: quarantine the two worst offenders",
            ),
        ],
        [("bramok", "Bram to quarantine the flaky tests", "done")],
    ),
    (
        2,
        "bramok",
        "chenwei-dev",
        ["adaquill", "bramok", "chenwei-dev", "elinovak"],
        "- Conference talk accepted: *Widgets at scale*",
        [
            (
                "Chen",
                "Plugin API proposal",
                "- Draft at example/widget#57\n- Feedback welcome until next call",
            ),
            ("Eli", "Release team for 1.5", "- Eli volunteered to lead, Dana helps"),
        ],
        [("chenwei-dev", "Chen to turn the plugin draft into a proposal", "open")],
    ),
    (
        1,
        "chenwei-dev",
        "danaruiz",
        ["bramok", "chenwei-dev", "danaruiz", "elinovak", "farahh"],
        "- Docs site moved to the new theme",
        [
            ("Dana", "Documentation sprint", "- Sprint planned for the week after 1.5"),
            ("Farah", "Packaging for ARM", "- Builds work; CI runners still missing"),
        ],
        [("farahh", "Farah to open an issue for ARM CI runners", "open")],
    ),
]

UPCOMING_ITEMS = [
    # title, proposer, handle, minutes, status
    ("Release 1.5 status", "Eli Novak", "elinovak", 10, AgendaItem.Status.ACCEPTED),
    ("Roadmap for the second half", "Ada Quill", "adaquill", 15, "accepted"),
    ("Proposal: monthly office hours", "Sam Visitor", "", 10, "proposed"),
    ("Demo: the new CLI", "Farah Haddad", "farahh", 5, "proposed"),
]


class Command(BaseCommand):
    help = "Load the demo community (idempotent) and create an admin login."

    def handle(self, *args, **options):
        with transaction.atomic():
            people = self.seed_people()
            series = self.seed_series()
            self.seed_past_calls(series, people)
            self.seed_upcoming_call(series, people)
            self.seed_notices(series, people)
            admin_created = self.seed_admin(people)
            mc_created = self.seed_mc_login(people)
            self.seed_maintainer()
        self.stdout.write(self.style.SUCCESS("Demo community ready."))
        password = DEMO_ADMIN_PASSWORD if admin_created else "(unchanged)"
        self.stdout.write(
            f"Admin login: http://127.0.0.1:8000/admin/  "
            f"user: {DEMO_ADMIN_USERNAME}  password: {password}"
        )
        self.stdout.write(
            f"Sign in at http://127.0.0.1:8000/accounts/login/ (development "
            f"sign-in, no GitHub needed): as {DEMO_MC_HANDLE}, MC of the next call"
            f"{' (account made)' if mc_created else ''}; as {DEMO_MAINTAINER_HANDLE}, "
            f"a Maintainer (the Roles page); or as any other handle."
        )

    def seed_people(self) -> dict[str, Attendee]:
        people = {}
        for name, handle, aliases, affiliation in PEOPLE:
            person, _ = Attendee.objects.get_or_create(
                github_handle=handle,
                defaults={"display_name": name, "affiliation": affiliation},
            )
            for alias in aliases:
                Alias.objects.get_or_create(attendee=person, name=alias)
            people[handle] = person
        return people

    def seed_series(self) -> MeetingSeries:
        series, _ = MeetingSeries.objects.get_or_create(
            slug="community",
            defaults={
                "title": "Example Community Call",
                "description": "The weekly call of the Example Widget community. "
                "Everyone is welcome: propose an item below.",
                "info_url": "https://example.org/community",
                "video_url": "https://meet.example.org/widget-community",
                "github_repo": "example/widget",
                "weekday": MeetingSeries.Weekday.WEDNESDAY,
                "start_time": dt.time(16, 0),
                "time_zone": "UTC",
                "length_minutes": 60,
            },
        )
        return series

    def seed_past_calls(self, series, people) -> None:
        if series.meetings.finalized().exists():
            return
        next_start = series.next_start_after(timezone.now())
        for weeks_ago, mc, next_mc, joined, highlights, items, actions in PAST_CALLS:
            start = next_start - dt.timedelta(weeks=weeks_ago)
            meeting = Meeting.objects.create(
                series=series,
                start=start,
                status=Meeting.Status.FINALIZED,
                mc=people[mc],
                next_mc=people[next_mc],
                highlights=highlights,
                recording_url="https://video.example.org/widget-call"
                if weeks_ago > 1
                else "",
                finalized_at=start + dt.timedelta(hours=2),
            )
            for position, handle in enumerate(joined):
                Attendance.objects.create(
                    meeting=meeting, attendee=people[handle], position=position
                )
            for position, (presenters, title, notes) in enumerate(items):
                item = AgendaItem.objects.create(
                    meeting=meeting,
                    title=title,
                    presenter_names=presenters,
                    status=AgendaItem.Status.DISCUSSED,
                    position=position,
                    discussion_notes=notes,
                )
                item.presenters.set(
                    {
                        p
                        for n in presenters.split("/")
                        for p in Attendee.objects.matching(n)
                    }
                )
            for position, (owner, description, status) in enumerate(actions):
                action = ActionItem.objects.create(
                    meeting=meeting,
                    description=description,
                    status=status,
                    position=position,
                )
                action.owners.add(people[owner])
            meeting.sync_github_references()
            if weeks_ago == 2:
                team = ReleaseTeam.objects.create(
                    version="1.5.0",
                    lead=people["elinovak"],
                    planned_date=(next_start + dt.timedelta(weeks=2)).date(),
                    meeting=meeting,
                    notes="Release candidate first, then a week of testing.",
                )
                team.members.add(people["danaruiz"])

    def seed_upcoming_call(self, series, people) -> None:
        now = timezone.now()
        if series.meetings.scheduled().upcoming(now).exists():
            return
        meeting = Meeting.objects.create(
            series=series,
            start=series.next_start_after(now),
            mc=people["danaruiz"],
        )
        for position, (title, name, handle, minutes, status) in enumerate(
            UPCOMING_ITEMS
        ):
            AgendaItem.objects.create(
                meeting=meeting,
                title=title,
                proposer_name=name,
                proposer_handle=handle,
                requested_minutes=minutes,
                status=status,
                position=position,
                description=f"Proposed by {name}.",
            )

    def seed_notices(self, series, people) -> None:
        """Lists, opt-ins and a call about to start, so that `make run`'s worker
        prints the agenda digest and the MC's reminder to the console."""
        SeriesChannels.objects.get_or_create(
            series=series, defaults={"list_address": "community@lists.example.org"}
        )
        for handle in (DEMO_MC_HANDLE, "chenwei-dev", "farahh"):
            # Addresses the people gave a Maintainer: confirmed.
            Preference.objects.get_or_create(
                attendee=people[handle],
                defaults={
                    "email": f"{handle}@example.org",
                    "confirmed_at": timezone.now(),
                },
            )
        visitor = series.agenda_items.filter(proposer_name="Sam Visitor").first()
        if visitor and not visitor.proposer_email:
            visitor.proposer_email = "sam.visitor@example.org"
            visitor.save(update_fields=["proposer_email"])
            Preference.objects.get_or_create(
                email=visitor.proposer_email,
                # A demo proposer who confirmed the address.
                defaults={
                    "proposals": True,
                    "mc": False,
                    "actions": False,
                    "confirmed_at": timezone.now(),
                },
            )
        office_hours, _ = MeetingSeries.objects.get_or_create(
            slug="office-hours",
            defaults={
                "title": "Release Office Hours",
                "description": "Drop in with questions about the coming release.",
                "video_url": "https://meet.example.org/widget-office-hours",
                "github_repo": "example/widget",
                "weekday": MeetingSeries.Weekday.FRIDAY,
                "time_zone": "UTC",
                "length_minutes": 30,
            },
        )
        SeriesChannels.objects.get_or_create(
            series=office_hours,
            defaults={"list_address": "release@lists.example.org"},
        )
        now = timezone.now()
        soon = now + dt.timedelta(hours=2)
        if office_hours.meetings.scheduled().filter(start__gt=now, start__lte=soon):
            return
        start = (now + dt.timedelta(minutes=45)).replace(second=0, microsecond=0)
        call = Meeting.objects.create(
            series=office_hours, start=start, mc=people[DEMO_MC_HANDLE]
        )
        for position, (title, handle) in enumerate(
            [("Release 1.5 checklist", "elinovak"), ("ARM packages", "farahh")],
            start=1,
        ):
            item = AgendaItem.objects.create(
                meeting=call,
                title=title,
                status=AgendaItem.Status.ACCEPTED,
                position=position,
                proposer_name=people[handle].display_name,
            )
            item.presenters.add(people[handle])

    def seed_admin(self, people) -> bool:
        user_model = get_user_model()
        if user_model.objects.filter(username=DEMO_ADMIN_USERNAME).exists():
            return False
        user_model.objects.create_superuser(
            DEMO_ADMIN_USERNAME, "admin@example.org", DEMO_ADMIN_PASSWORD
        )
        return True

    def seed_maintainer(self) -> None:
        if not RoleGrant.objects.filter(
            attendee__github_handle=DEMO_MAINTAINER_HANDLE,
            role=RoleGrant.Role.MAINTAINER,
        ).exists():
            grant_role(
                handle=DEMO_MAINTAINER_HANDLE, role=RoleGrant.Role.MAINTAINER, by=None
            )

    def seed_mc_login(self, people) -> bool:
        user_model = get_user_model()
        if user_model.objects.filter(username=DEMO_MC_USERNAME).exists():
            return False
        user = user_model.objects.create_user(
            DEMO_MC_USERNAME, "dana@example.org", DEMO_ADMIN_PASSWORD, is_staff=True
        )
        user.groups.add(Group.objects.get(name="MC"))
        person = people[DEMO_MC_HANDLE]
        person.user = user
        person.save(update_fields=["user"])
        return True
