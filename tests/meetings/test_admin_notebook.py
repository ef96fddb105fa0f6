"""The meeting change page as the MC's notebook: conflicts, lock, finalize."""

import datetime as dt
from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from meetings import services
from meetings.models import Meeting
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
    ReleaseTeamFactory,
)
from tests.staff import fast_superuser, form_data, maintainer, mc

pytestmark = pytest.mark.django_db

STARTED = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def ann():
    """An MC with her call, which started an hour ago."""
    user, person = mc("ann", display_name="Ann MC")
    meeting = MeetingFactory(status=Meeting.Status.HELD, mc=person, start=STARTED)
    return logged_in(user), meeting


def change_url(meeting):
    return reverse("admin:meetings_meeting_change", args=[meeting.pk])


def messages_of(response):
    return [str(message) for message in response.context["messages"]]


# Two people editing at once -------------------------------------------------------


def test_second_save_of_a_stale_form_is_refused_and_keeps_what_was_typed(ann):
    ann_client, meeting = ann
    max_user, _ = maintainer("max", display_name="Max Maintainer")
    max_user.first_name, max_user.last_name = "Max", "Maintainer"
    max_user.save()
    max_client = logged_in(max_user)

    ann_form = form_data(ann_client.get(change_url(meeting)))
    max_form = form_data(max_client.get(change_url(meeting)))
    assert ann_form["loaded_version"] == max_form["loaded_version"] == "1"

    max_form["highlights"] = "Max's highlights"
    response = max_client.post(change_url(meeting), max_form)
    assert response.status_code == 302

    ann_form["highlights"] = "Ann's highlights, typed for ten minutes"
    response = ann_client.post(change_url(meeting), ann_form)
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert len(errors) == 1
    assert errors[0].startswith(
        "Someone saved this meeting while you were editing it (you opened version "
        "1): version 2 by Max Maintainer at "
    )
    assert ": changed highlights. Nothing of yours was saved." in errors[0]
    assert "Ann&#x27;s highlights, typed for ten minutes" in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.version) == ("Max's highlights", 2)

    # The form now carries version 2: saving again is a deliberate "keep mine".
    again = form_data(response)
    assert again["loaded_version"] == "2"
    assert ann_client.post(change_url(meeting), again).status_code == 302
    meeting.refresh_from_db()
    assert meeting.highlights == "Ann's highlights, typed for ten minutes"
    assert meeting.version == 3


def test_a_change_to_the_agenda_alone_makes_an_open_form_stale(ann):
    ann_client, meeting = ann
    item = AgendaItemFactory(meeting=meeting, discussion_notes="")
    stale = form_data(ann_client.get(change_url(meeting)))
    fresh = form_data(ann_client.get(change_url(meeting)))
    prefix = next(k for k, v in fresh.items() if v == str(item.pk) and "-id" in k)
    fresh[prefix.replace("-id", "-discussion_notes")] = "Decided: ship it"
    assert ann_client.post(change_url(meeting), fresh).status_code == 302

    stale["highlights"] = "mine"
    response = ann_client.post(change_url(meeting), stale)
    assert response.status_code == 200
    assert "version 2 by ann" in response.context["adminform"].form.errors["__all__"][0]
    item.refresh_from_db()
    assert item.discussion_notes == "Decided: ship it"


def test_losing_the_race_after_validation_is_still_refused(ann):
    """Two saves pass the version check at once; the conditional UPDATE stops one."""
    ann_client, meeting = ann
    data = form_data(ann_client.get(change_url(meeting)))
    # The other save commits right after this one's check passed.
    services.bump_version(meeting=meeting, user=None, reason="Their save")
    real_check = services.check_version
    calls = []

    def check_passed_just_before_their_commit(*, meeting, loaded_version):
        calls.append(loaded_version)
        if len(calls) == 1:
            return meeting
        return real_check(meeting=meeting, loaded_version=loaded_version)

    data["highlights"] = "Lost update?"
    with mock.patch(
        "meetings.admin.check_version", check_passed_just_before_their_commit
    ):
        response = ann_client.post(change_url(meeting), data)
    assert len(calls) == 2
    assert response.status_code == 200
    error = response.context["adminform"].form.errors["__all__"][0]
    assert "version 2 by an automatic change at " in error
    assert ": Their save. Nothing of yours was saved." in error
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.version) == ("", 2)


# Finalized notes are locked -------------------------------------------------------


def test_finalized_notes_are_read_only_and_a_late_save_keeps_the_text(ann):
    ann_client, meeting = ann
    data = form_data(ann_client.get(change_url(meeting)))
    boss = fast_superuser("boss")
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.FINALIZED, finalized_by=boss, finalized_at=STARTED
    )
    page = ann_client.get(change_url(meeting))
    assert page.context["title"] == "View meeting"
    assert b'name="highlights"' not in page.content
    assert b"Finalize notes" not in page.content

    data["highlights"] = "Typed while someone finalized"
    response = ann_client.post(change_url(meeting), data)
    assert response.status_code == 200
    when = STARTED.strftime("%Y-%m-%d %H:%M UTC")
    assert response.context["adminform"].form.errors["__all__"] == [
        f"These notes were finalized by boss at {when} and are locked: nothing was "
        "saved. A Maintainer can reopen them."
    ]
    assert "Typed while someone finalized" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.highlights == ""


def test_the_form_cannot_set_the_finalized_status(ann):
    ann_client, meeting = ann
    form = ann_client.get(change_url(meeting)).context["adminform"].form
    assert Meeting.Status.FINALIZED not in dict(form.fields["status"].choices)
    data = form_data(ann_client.get(change_url(meeting)))
    data["status"] = Meeting.Status.FINALIZED
    response = ann_client.post(change_url(meeting), data)
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors


def test_an_mc_cannot_change_the_schedule_or_who_mcs(ann):
    ann_client, meeting = ann
    page = ann_client.get(change_url(meeting))
    form = page.context["adminform"].form
    assert {"series", "start", "mc"}.isdisjoint(form.fields)
    data = form_data(page)
    data["mc"] = AttendeeFactory().pk
    assert ann_client.post(change_url(meeting), data).status_code == 302
    meeting.refresh_from_db()
    assert meeting.mc.display_name == "Ann MC"


# Finalize button ------------------------------------------------------------------


def test_finalize_button_saves_then_refuses_with_the_list(ann):
    ann_client, meeting = ann
    AgendaItemFactory(meeting=meeting, title="Undecided", status="proposed")
    data = form_data(ann_client.get(change_url(meeting)))
    data["highlights"] = "Saved anyway"
    data["_finalize"] = "Finalize notes"
    response = ann_client.post(change_url(meeting), data, follow=True)
    assert messages_of(response) == [
        "Your changes were saved, but the notes cannot be finalized yet:<ul><li>"
        "Agenda item “Undecided” is still proposed: mark it discussed, deferred or "
        "declined.</li></ul>"
    ]
    meeting.refresh_from_db()
    assert (meeting.highlights, meeting.status) == ("Saved anyway", "held")


def test_finalize_button_locks_and_prepares_the_next_call(ann):
    ann_client, meeting = ann
    bo = AttendeeFactory(display_name="Bo")
    meeting.next_mc = bo
    meeting.save()
    AgendaItemFactory(meeting=meeting, title="Later", status="deferred")
    ActionItemFactory(meeting=meeting, description="Bo to write docs")
    ReleaseTeamFactory(version="2.0.0", meeting=meeting, lead=bo, planned_date=None)
    data = form_data(ann_client.get(change_url(meeting)))
    data["_finalize"] = "Finalize notes"
    response = ann_client.post(change_url(meeting), data, follow=True)
    next_meeting = Meeting.objects.exclude(pk=meeting.pk).get()
    assert messages_of(response) == [
        f"Notes finalized and locked. Next call: {next_meeting.date_key} (created), "
        f"MC: {bo}. Open action items carried over: 1. Deferred agenda items moved "
        f"onto it: 1. Release teams at work: 2.0.0 (lead {bo})."
    ]
    assert response.context["title"] == "View meeting"
    meeting.refresh_from_db()
    assert meeting.is_finalized
    assert next_meeting.agenda_items.get().title == "Later"


def test_next_meeting_page_lists_open_items_and_closing_one_records_the_call():
    boss = fast_superuser()
    client = logged_in(boss)
    earlier = MeetingFactory(start=STARTED - dt.timedelta(weeks=1))
    meeting = MeetingFactory(
        series=earlier.series, start=STARTED, status=Meeting.Status.HELD
    )
    carried = ActionItemFactory(meeting=earlier, description="Carried over")
    ActionItemFactory(
        meeting=earlier, description="Done long ago", status="done", closed_in=earlier
    )
    page = client.get(change_url(meeting))
    html = page.content.decode()
    assert "Open action items from earlier calls" in html
    assert "Carried over" in html
    assert "Done long ago" not in html

    data = form_data(page)
    assert data["carried_over-TOTAL_FORMS"] == "1"
    data["carried_over-0-status"] = ActionItem.Status.DONE
    assert client.post(change_url(meeting), data).status_code == 302
    carried.refresh_from_db()
    assert (carried.status, carried.closed_in) == ("done", meeting)
    # Still listed on this call, as closed here.
    page = client.get(change_url(meeting))
    assert "Carried over" in page.content.decode()


def test_closing_an_action_item_raised_here_records_this_call(ann):
    ann_client, meeting = ann
    item = ActionItemFactory(meeting=meeting)
    data = form_data(ann_client.get(change_url(meeting)))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("action_items-")
        and key.endswith("-id")
        and value == str(item.pk)
    )
    data[f"action_items-{index}-status"] = ActionItem.Status.DROPPED
    assert ann_client.post(change_url(meeting), data).status_code == 302
    item.refresh_from_db()
    assert (item.status, item.closed_in) == ("dropped", meeting)


def test_declining_in_the_notebook_needs_a_reason(ann):
    ann_client, meeting = ann
    item = AgendaItemFactory(meeting=meeting, status="proposed")
    data = form_data(ann_client.get(change_url(meeting)))
    index = next(
        key.split("-")[1]
        for key, value in data.items()
        if key.startswith("agenda_items-")
        and key.endswith("-id")
        and value == str(item.pk)
    )
    data[f"agenda_items-{index}-status"] = AgendaItem.Status.DECLINED
    response = ann_client.post(change_url(meeting), data)
    assert response.status_code == 200
    assert "Give a reason for declining: the proposer sees it." in (
        response.content.decode()
    )


def test_the_notebook_shows_budget_check_in_link_and_release_steps(ann):
    ann_client, meeting = ann
    AgendaItemFactory(meeting=meeting, status="accepted", requested_minutes=70)
    ReleaseTeamFactory(version="3.1.0", meeting=None, notes="**Cut the branch**")
    html = ann_client.get(change_url(meeting)).content.decode()
    assert "70 of 60 minutes accepted, over-booked by 10 minutes" in html
    check_in = reverse(
        "meetings:checkin",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )
    assert f'href="http://testserver{check_in}"' in html
    assert "<strong>Cut the branch</strong>" in html  # through the renderer


def test_the_notebook_page_query_count_does_not_grow_with_rows(ann):
    ann_client, meeting = ann
    earlier = MeetingFactory(series=meeting.series, start=STARTED - dt.timedelta(7))
    ActionItemFactory(meeting=earlier)
    AgendaItemFactory(meeting=meeting)
    ann_client.get(change_url(meeting))
    with CaptureQueriesContext(connection) as few:
        ann_client.get(change_url(meeting))
    for _ in range(5):
        ActionItemFactory(meeting=earlier)
        AgendaItemFactory(meeting=meeting)
    with CaptureQueriesContext(connection) as many:
        ann_client.get(change_url(meeting))
    # Each inline row's owners/presenters widget costs a query; nothing else grows.
    print("QUERIES", len(few), len(many))
    assert len(many) - len(few) <= 5 * 2
