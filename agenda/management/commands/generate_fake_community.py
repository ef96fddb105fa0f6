"""Fill the database with a synthetic community of any size, for trying and benching.

    manage.py generate_fake_community --meetings 50      # a small community
    manage.py generate_fake_community --meetings 2000    # the bench's large set

By default each finalized call has 20 agenda items, 5 action items and 8-20 people
(one founder joins every call, so their person page has the longest history); there
are 0.4 people per call (at least 20), two weekly series, a release team every 20
calls, three GitHub references per call and one upcoming call per series with
proposals. Everything is written with bulk_create in a few large statements, so the
2,000-call set takes seconds. The same --seed gives the same community.
"""

import datetime as dt
import random
import time
from itertools import islice

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from agenda.services import refresh_stored_html
from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)
from pagecache.models import SiteGeneration
from people.models import Alias, Attendee

SERIES = [
    # slug, title, weekday, hour, repo
    ("fake-community", "Fake Community Call", 2, 16, "fakeorg/widget"),
    ("fake-maintainers", "Fake Maintainers Call", 1, 15, "fakeorg/widget-core"),
]
HANDLE_PREFIX = "fc-"
FIRST = (  # noqa: SIM905 - word lists read better as prose
    "Ada Bram Chen Dana Eli Farah Gus Hana Ivo Jun Kai Lena Mo Nia Oren Pia Quin Rosa "
    "Sami Tove"
).split()
LAST = (  # noqa: SIM905 - word lists read better as prose
    "Quill Okafor Wei Ruiz Novak Haddad Berg Sato Ivanov Moreau Kowalski Silva "
    "Nakamura Osei Larsen Costa"
).split()
WORDS = (  # noqa: SIM905 - word lists read better as prose
    "release plugin driver rules engine falco probe kernel module ebpf docs website "
    "CI flaky test build arm64 packaging helm chart sidekick operator metrics alert "
    "syscall container runtime policy review roadmap proposal governance security "
    "advisory benchmark performance regression memory leak config schema upgrade "
    "deprecation changelog maintainer onboarding contributor mentoring conference"
).split()
MINUTES = [5, 5, 10, 10, 15, 30]
BATCH = 2000


class Command(BaseCommand):
    help = "Generate a synthetic community (meetings, agenda, people, action items)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--meetings", type=int, default=50, help="finalized calls (default 50)"
        )
        parser.add_argument(
            "--people", type=int, help="people (default 0.4 per call, at least 20)"
        )
        parser.add_argument("--items-per-meeting", type=int, default=20)
        parser.add_argument("--actions-per-meeting", type=int, default=5)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--replace",
            action="store_true",
            help="delete an earlier synthetic community first",
        )

    def handle(self, *args, **options):
        n_meetings = options["meetings"]
        if n_meetings < 1:
            raise CommandError("--meetings must be at least 1.")
        n_people = options["people"] or max(20, round(n_meetings * 0.4))
        began = time.monotonic()
        with transaction.atomic():
            if MeetingSeries.objects.filter(slug__startswith="fake-").exists():
                if not options["replace"]:
                    raise CommandError(
                        "A synthetic community exists already; pass --replace to "
                        "delete it and generate a new one."
                    )
                self.delete_existing()
            counts = Generator(
                random.Random(options["seed"]),
                n_meetings=n_meetings,
                n_people=n_people,
                items_per_meeting=options["items_per_meeting"],
                actions_per_meeting=options["actions_per_meeting"],
            ).run()
            # bulk_create bypasses save(), which composes the search text.
            Meeting.objects.filter(
                series__slug__startswith="fake-"
            ).refresh_search_documents()
            # ... and renders nothing: store the HTML the pages show now, not at
            # each call's first view.
            refresh_stored_html(
                meetings=Meeting.objects.filter(series__slug__startswith="fake-")
            )
        elapsed = time.monotonic() - began
        summary = ", ".join(f"{n:,} {label}" for label, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Generated {summary} in {elapsed:.1f} s.")
        )

    def delete_existing(self) -> None:
        fake = Meeting.objects.filter(series__slug__startswith="fake-")
        ReleaseTeam.objects.filter(meeting__in=fake).delete()
        AgendaItem.objects.filter(series__slug__startswith="fake-").delete()
        fake.delete()
        MeetingSeries.objects.filter(slug__startswith="fake-").delete()
        Attendee.objects.filter(github_handle__startswith=HANDLE_PREFIX).delete()


class Generator:
    """Builds the rows in memory and writes each table with bulk_create."""

    def __init__(
        self, rng, *, n_meetings, n_people, items_per_meeting, actions_per_meeting
    ):
        self.rng = rng
        self.n_meetings = n_meetings
        self.n_people = n_people
        self.items_per_meeting = items_per_meeting
        self.actions_per_meeting = actions_per_meeting

    def run(self) -> dict[str, int]:
        people = self.people()
        series = self.series()
        meetings = self.meetings(series, people)
        attendances = self.attendances(meetings, people)
        items, presenters = self.agenda_items(meetings, people)
        actions, owners = self.action_items(meetings, people)
        refs = self.references(meetings)
        teams = self.release_teams(meetings, people)
        upcoming = self.upcoming(series, people)
        SiteGeneration.bump()
        return {
            "finalized calls": len(meetings),
            "upcoming calls": len(upcoming),
            "agenda items": items,
            "action items": actions,
            "people": len(people),
            "attendances": attendances,
            "presenter links": presenters,
            "action owners": owners,
            "GitHub references": refs,
            "release teams": teams,
        }

    # Text -------------------------------------------------------------------

    def words(self, low: int, high: int) -> str:
        return " ".join(self.rng.choices(WORDS, k=self.rng.randint(low, high)))

    def bullets(self, count: int, repo: str) -> str:
        lines = []
        for _ in range(count):
            line = f"- {self.words(6, 16).capitalize()}"
            if self.rng.random() < 0.4:
                line += f", see {repo}#{self.rng.randint(1, 3000)}"
            if self.rng.random() < 0.2:
                line += f" (**{self.rng.choice(WORDS)}**)"
            lines.append(line)
        return "\n".join(lines)

    # Rows -------------------------------------------------------------------

    def people(self) -> list[Attendee]:
        people = [
            Attendee(
                display_name=f"{FIRST[i % len(FIRST)]} {LAST[(i // 7) % len(LAST)]}",
                github_handle=f"{HANDLE_PREFIX}{FIRST[i % len(FIRST)].lower()}{i}",
                affiliation=self.rng.choice(["", "", "Widget Inc.", "Probe Labs"]),
            )
            for i in range(self.n_people)
        ]
        people = Attendee.objects.bulk_create(people, batch_size=BATCH)
        Alias.objects.bulk_create(
            [
                Alias(attendee=p, name=f"{p.display_name.split()[0]}{p.pk}")
                for p in people
            ],
            batch_size=BATCH,
        )
        return people

    def series(self) -> list[MeetingSeries]:
        return [
            MeetingSeries.objects.create(
                slug=slug,
                title=title,
                description="A synthetic series made by `generate_fake_community`.",
                info_url="https://example.org/fake-community",
                video_url=f"https://meet.example.org/{slug}",
                github_repo=repo,
                weekday=weekday,
                start_time=dt.time(hour, 0),
                time_zone="UTC",
            )
            for slug, title, weekday, hour, repo in SERIES
        ]

    def meetings(self, series, people) -> list[Meeting]:
        now = timezone.now()
        rows = []
        for index in range(self.n_meetings):
            one = series[index % len(series)]
            weeks_ago = index // len(series) + 1
            start = one.next_start_after(now) - dt.timedelta(weeks=weeks_ago)
            rows.append(
                Meeting(
                    series=one,
                    start=start,
                    date=start.date(),
                    status=Meeting.Status.FINALIZED,
                    mc=self.rng.choice(people),
                    next_mc=self.rng.choice(people),
                    highlights=self.bullets(3, one.github_repo),
                    notes=f"{self.words(30, 60).capitalize()}.",
                    recording_url=f"https://video.example.org/{one.slug}/{index}",
                    next_release=f"lead {self.rng.choice(people).display_name}",
                    finalized_at=start + dt.timedelta(hours=3),
                )
            )
        return Meeting.objects.bulk_create(rows, batch_size=BATCH)

    def attendances(self, meetings, people) -> int:
        founder, others = people[0], people[1:]
        # Regulars at the front of the list join far more often than the rest.
        weights = [1 / (1 + i / 10) for i in range(len(others))]
        rows = []
        for meeting in meetings:
            joined = {founder.pk: founder}
            want = min(len(people), self.rng.randint(8, 20))
            while len(joined) < want:
                person = self.rng.choices(others, weights=weights)[0]
                joined[person.pk] = person
            rows += [
                Attendance(meeting=meeting, attendee=person, position=position)
                for position, person in enumerate(joined.values())
            ]
        Attendance.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)

    def agenda_items(self, meetings, people) -> tuple[int, int]:
        items = []
        for meeting in meetings:
            repo = meeting.series.github_repo
            for position in range(self.items_per_meeting):
                presenter = self.rng.choice(people)
                items.append(
                    AgendaItem(
                        series_id=meeting.series_id,
                        meeting=meeting,
                        title=self.words(3, 8).capitalize(),
                        description=self.words(10, 30).capitalize(),
                        presenter_names=presenter.display_name.split()[0],
                        proposer_name=presenter.display_name,
                        status=AgendaItem.Status.DISCUSSED,
                        position=position,
                        requested_minutes=self.rng.choice(MINUTES),
                        discussion_notes=self.bullets(self.rng.randint(1, 4), repo),
                    )
                )
        items = self.bulk(AgendaItem, items)
        through = AgendaItem.presenters.through
        links = [
            through(agendaitem_id=item.pk, attendee_id=self.rng.choice(people).pk)
            for item in items
        ]
        self.bulk(through, links)
        return len(items), len(links)

    def action_items(self, meetings, people) -> tuple[int, int]:
        actions = []
        for index, meeting in enumerate(meetings):
            recent = index < len(meetings) // 20
            for position in range(self.actions_per_meeting):
                status = ActionItem.Status.OPEN if recent else ActionItem.Status.DONE
                actions.append(
                    ActionItem(
                        meeting=meeting,
                        description=f"To {self.words(4, 10)}",
                        status=status,
                        position=position,
                    )
                )
        actions = self.bulk(ActionItem, actions)
        through = ActionItem.owners.through
        links = []
        for action in actions:
            for owner in self.rng.sample(people, self.rng.choice([1, 1, 2])):
                links.append(through(actionitem_id=action.pk, attendee_id=owner.pk))
        self.bulk(through, links)
        return len(actions), len(links)

    def references(self, meetings) -> int:
        refs = []
        for meeting in meetings:
            owner, repo = meeting.series.github_repo.split("/")
            for number in self.rng.sample(range(1, 3000), 3):
                refs.append(
                    GitHubReference(
                        meeting=meeting, owner=owner, repo=repo, number=number
                    )
                )
        return len(self.bulk(GitHubReference, refs))

    def release_teams(self, meetings, people) -> int:
        teams, per_year = [], {}
        for meeting in reversed(meetings[::20]):
            year = meeting.start.year
            per_year[year] = per_year.get(year, 0) + 1
            teams.append(
                ReleaseTeam(
                    version=f"{year}.{per_year[year]}.0",
                    lead=self.rng.choice(people),
                    meeting=meeting,
                    planned_date=meeting.date + dt.timedelta(weeks=4),
                    released_on=meeting.date + dt.timedelta(weeks=5),
                )
            )
        teams = self.bulk(ReleaseTeam, teams)
        through = ReleaseTeam.members.through
        self.bulk(
            through,
            [
                through(releaseteam_id=team.pk, attendee_id=person.pk)
                for team in teams
                for person in self.rng.sample(people, 2)
            ],
        )
        return len(teams)

    def upcoming(self, series, people) -> list[Meeting]:
        now = timezone.now()
        meetings = []
        for one in series:
            start = one.next_start_after(now)
            meeting = Meeting.objects.create(
                series=one, start=start, mc=self.rng.choice(people)
            )
            meetings.append(meeting)
            AgendaItem.objects.bulk_create(
                AgendaItem(
                    series=one,
                    meeting=meeting,
                    title=self.words(3, 8).capitalize(),
                    description=self.words(10, 30).capitalize(),
                    proposer_name=self.rng.choice(people).display_name,
                    status=status,
                    position=position,
                    requested_minutes=self.rng.choice(MINUTES),
                )
                for position, status in enumerate(
                    ["accepted", "accepted", "proposed", "proposed"]
                )
            )
        return meetings

    @staticmethod
    def bulk(model, rows):
        created = []
        iterator = iter(rows)
        while batch := list(islice(iterator, BATCH * 5)):
            created += model.objects.bulk_create(batch, batch_size=BATCH)
        return created
