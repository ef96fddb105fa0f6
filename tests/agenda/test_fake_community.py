"""generate_fake_community: the synthetic community for trying the app and benching."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count

from agenda.models import ActionItem, AgendaItem
from meetings.models import Attendance, GitHubReference, Meeting, ReleaseTeam
from people.models import Attendee

pytestmark = pytest.mark.django_db


def generate(*args):
    out = StringIO()
    call_command("generate_fake_community", *args, stdout=out)
    return out.getvalue()


def test_it_creates_the_requested_sizes():
    output = generate("--meetings", "40", "--people", "25")
    assert Meeting.objects.finalized().count() == 40
    assert Meeting.objects.scheduled().count() == 2
    discussed = AgendaItem.objects.filter(status=AgendaItem.Status.DISCUSSED)
    assert discussed.count() == 40 * 20
    assert ActionItem.objects.count() == 40 * 5
    assert Attendee.objects.count() == 25
    assert GitHubReference.objects.count() == 40 * 3
    assert ReleaseTeam.objects.count() == 2
    assert "Generated 40 finalized calls" in output
    assert " in " in output


def test_people_default_to_point_four_per_call_with_a_floor():
    generate("--meetings", "10")
    assert Attendee.objects.count() == 20


def test_the_founder_joins_every_call_for_a_long_person_page():
    generate("--meetings", "30")
    counts = Attendee.objects.annotate(n=Count("attendances")).order_by("-n")
    assert counts[0].n == 30
    per_meeting = Attendance.objects.values("meeting").annotate(n=Count("pk"))
    assert all(8 <= row["n"] <= 20 for row in per_meeting)


def test_every_row_is_valid_and_every_meeting_is_reachable(client):
    generate("--meetings", "6")
    for meeting in Meeting.objects.all():
        meeting.full_clean()
        assert client.get(meeting.get_absolute_url()).status_code == 200
    for item in AgendaItem.objects.all()[:30]:
        item.full_clean()
    person = Attendee.objects.first()
    person.full_clean()
    assert client.get(person.get_absolute_url()).status_code == 200


def test_a_second_run_refuses_without_replace_and_replaces_with_it():
    generate("--meetings", "5")
    with pytest.raises(CommandError, match="pass --replace"):
        generate("--meetings", "5")
    generate("--meetings", "8", "--replace")
    assert Meeting.objects.finalized().count() == 8
    assert Attendee.objects.count() == 20


def test_the_same_seed_gives_the_same_community():
    generate("--meetings", "5", "--seed", "7")
    first = list(AgendaItem.objects.order_by("pk").values_list("title", flat=True))
    generate("--meetings", "5", "--seed", "7", "--replace")
    second = list(AgendaItem.objects.order_by("pk").values_list("title", flat=True))
    assert first == second


def test_it_leaves_the_rest_of_the_database_alone():
    call_command("seed_demo", stdout=StringIO())
    demo_meetings = Meeting.objects.count()
    generate("--meetings", "5")
    generate("--meetings", "5", "--replace")
    assert Meeting.objects.exclude(series__slug__startswith="fake-").count() == (
        demo_meetings
    )


def test_zero_meetings_is_refused():
    with pytest.raises(CommandError, match="at least 1"):
        generate("--meetings", "0")
