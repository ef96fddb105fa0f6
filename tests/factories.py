"""factory_boy factories, one per model."""

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings.models import (
    Attendance,
    CheckIn,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)
from people.models import Alias, Attendee


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pw-for-tests")


class AttendeeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendee

    display_name = factory.Sequence(lambda n: f"Person {n}")
    github_handle = factory.Sequence(lambda n: f"person-{n}")


class AliasFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Alias

    attendee = factory.SubFactory(AttendeeFactory)
    name = factory.Sequence(lambda n: f"Nick{n}")


class MeetingSeriesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = MeetingSeries
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"series-{n}")
    title = factory.Sequence(lambda n: f"Series {n} Call")
    github_repo = "example/widget"
    video_url = "https://meet.example.org/call"
    info_url = "https://example.org/community"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Meeting

    series = factory.SubFactory(MeetingSeriesFactory)
    start = factory.Sequence(
        lambda n: timezone.now().replace(microsecond=0) - dt.timedelta(weeks=n + 1)
    )
    status = Meeting.Status.FINALIZED
    mc = factory.SubFactory(AttendeeFactory)


class AttendanceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Attendance

    meeting = factory.SubFactory(MeetingFactory)
    attendee = factory.SubFactory(AttendeeFactory)


class CheckInFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CheckIn

    meeting = factory.SubFactory(MeetingFactory)
    github_handle = factory.Sequence(lambda n: f"checked-in-{n}")


class ReleaseTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReleaseTeam

    version = factory.Sequence(lambda n: f"0.{n}.0")
    lead = factory.SubFactory(AttendeeFactory)
    meeting = factory.SubFactory(MeetingFactory)


class AgendaItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgendaItem

    meeting = factory.SubFactory(MeetingFactory)
    series = factory.SelfAttribute("meeting.series")
    title = factory.Sequence(lambda n: f"Agenda item {n}")
    status = AgendaItem.Status.DISCUSSED
    position = factory.Sequence(lambda n: n)


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ActionItem

    meeting = factory.SubFactory(MeetingFactory)
    description = factory.Sequence(lambda n: f"Someone to do thing {n}")


class GitHubReferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = GitHubReference

    meeting = factory.SubFactory(MeetingFactory)
    owner = "example"
    repo = "widget"
    number = factory.Sequence(lambda n: n + 1)
