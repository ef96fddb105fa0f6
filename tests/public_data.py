"""A small community for the public-page tests, that can grow on demand.

`Community.grow(k)` adds k more of everything, including to the same focus meeting,
person and coming call, so a page's query count can be compared at two sizes.
"""

import datetime as dt

from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings.models import Meeting
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
    ReleaseTeamFactory,
)


class Community:
    def __init__(self):
        now = timezone.now().replace(microsecond=0)
        self.series = MeetingSeriesFactory(
            slug="community",
            title="Widget Community Call",
            github_repo="example/widget",
        )
        self.person = AttendeeFactory(
            display_name="Ada Quill", github_handle="AdaQuill"
        )
        self.meeting = MeetingFactory(
            series=self.series,
            start=now - dt.timedelta(days=7),
            mc=self.person,
            next_mc=self.person,
            highlights="- Shipped the **widget** 2.0, see #1",
            notes="Talked about example/widget#2",
            recording_url="https://video.example.org/1",
        )
        team = ReleaseTeamFactory(
            version="2.0.0", lead=self.person, meeting=self.meeting
        )
        team.members.add(self.person)
        self.upcoming = MeetingFactory(
            series=self.series,
            start=now + dt.timedelta(days=7),
            status=Meeting.Status.SCHEDULED,
            mc=self.person,
        )
        self.on_now = None
        self.rounds = 0
        self.weeks_back = 1

    def start_a_call(self) -> "Community":
        """A call of the series that started ten minutes ago, notes still open."""
        self.on_now = MeetingFactory(
            series=self.series,
            start=timezone.now().replace(microsecond=0) - dt.timedelta(minutes=10),
            status=Meeting.Status.SCHEDULED,
            mc=self.person,
            video_url="https://meet.example.org/widget",
        )
        self._add_items_on_now(self.rounds or 1)
        return self

    def _add_items_on_now(self, k: int) -> None:
        for n in range(k):
            for status, late in (
                (AgendaItem.Status.ACCEPTED, False),
                (AgendaItem.Status.PROPOSED, True),
            ):
                item = AgendaItemFactory(
                    meeting=self.on_now,
                    status=status,
                    arrived_late=late,
                    title=f"Live topic {n} with [a link](https://example.org/{n})",
                    description="Sent **late**" if late else "On time",
                    presenter_names="Ada/Newcomer",
                )
                item.presenters.add(self.person)

    def grow(self, k: int) -> "Community":
        """Add k people, k older calls and k of every kind of row."""
        for _ in range(k):
            self.rounds += 1
            self.weeks_back += 1
            other = AttendeeFactory()
            AttendanceFactory(meeting=self.meeting, attendee=other)
            if self.rounds == 1:
                AttendanceFactory(meeting=self.meeting, attendee=self.person)
            older = MeetingFactory(
                series=self.series,
                start=self.meeting.start - dt.timedelta(weeks=self.weeks_back),
                mc=self.person if self.rounds % 2 else other,
                highlights=f"Round {self.rounds}: widget progress, #{self.rounds}",
            )
            AttendanceFactory(meeting=older, attendee=self.person)
            AttendanceFactory(meeting=older, attendee=other)
            for meeting in (self.meeting, older):
                item = AgendaItemFactory(
                    meeting=meeting,
                    title=f"Widget topic {self.rounds}",
                    discussion_notes=f"About example/widget#{self.rounds}",
                    links="https://github.com/example/widget/pull/1",
                )
                item.presenters.add(self.person, other)
                for status in (ActionItem.Status.OPEN, ActionItem.Status.DONE):
                    action = ActionItemFactory(
                        meeting=meeting, agenda_item=item, status=status
                    )
                    action.owners.add(self.person, other)
                ActionItemFactory(meeting=meeting, owner_names="Somebody New")
                meeting.sync_github_references()
            team = ReleaseTeamFactory(lead=self.person, meeting=older)
            team.members.add(self.person, other)
            for status in (AgendaItem.Status.ACCEPTED, AgendaItem.Status.PROPOSED):
                coming = AgendaItemFactory(
                    meeting=self.upcoming,
                    status=status,
                    requested_minutes=15,
                    description="Proposed **text** about #7",
                    proposer_name="Visitor",
                    links="https://example.org/slides",
                )
                coming.presenters.add(other)
        if self.on_now is not None:
            self._add_items_on_now(k)
        return self
