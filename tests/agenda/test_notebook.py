"""The notebook page of a call: who may open it, what it shows, the no-JS form's
field-by-field merge of stale saves, attendance and finalize from the page."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agenda.models import ActionItem, AgendaItem
from agenda.notebook.services import digest, merge_fields
from meetings.models import Meeting
from meetings.services import check_in
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendanceFactory,
    AttendeeFactory,
    MeetingFactory,
)
from tests.staff import form_data, maintainer, mc

pytestmark = pytest.mark.django_db

STARTED = timezone.now().replace(microsecond=0) - dt.timedelta(minutes=20)
FORM = "notebook-form"


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def url(meeting):
    return reverse(
        "agenda:notebook",
        kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
    )


@pytest.fixture
def call():
    """Ann MCs a call that started 20 minutes ago, with two items and an action."""
    user, person = mc("ann", display_name="Ann MC", github_handle="ann-mc")
    meeting = MeetingFactory(status=Meeting.Status.HELD, mc=person, start=STARTED)
    first = AgendaItemFactory(
        meeting=meeting, title="Release 0.26", status=AgendaItem.Status.ACCEPTED
    )
    second = AgendaItemFactory(
        meeting=meeting, title="Docs sprint", status=AgendaItem.Status.ACCEPTED
    )
    action = ActionItemFactory(meeting=meeting, description="Bo to write the post")
    return logged_in(user), meeting, first, second, action


def test_anonymous_goes_to_login_and_other_staff_are_refused(call):
    _client, meeting, *_ = call
    response = Client().get(url(meeting))
    assert response.status_code == 302
    # The sign-in page (GitHub), where an MC signs in.
    assert response["Location"].startswith("/accounts/login/?next=")
    other, _person = mc("other-mc")
    assert logged_in(other).get(url(meeting)).status_code == 403
    assert logged_in(other).post(url(meeting), {}).status_code == 403


def test_unknown_call_is_404(call):
    client, meeting, *_ = call
    missing = reverse(
        "agenda:notebook", kwargs={"series": "nope", "date_key": "2020-01-01"}
    )
    assert client.get(missing).status_code == 404


def test_mc_and_maintainer_get_one_page_with_every_part(call):
    client, meeting, first, second, action = call
    AttendanceFactory(meeting=meeting, attendee=AttendeeFactory(display_name="Cy"))
    for someone in (client, logged_in(maintainer("max")[0])):
        response = someone.get(url(meeting))
        assert response.status_code == 200
        page = response.content.decode()
        for part in (
            'href="https://meet.example.org/call"',  # join link
            'id="nb-clock"',
            "min left",
            'id="who-joined"',
            "Cy",
            'name="attendance_text"',
            'name="highlights"',
            "Release 0.26",
            f'name="item:{first.pk}:notes"',
            f'name="item:{first.pk}:status"',
            f'name="action:{action.pk}:text"',
            f'name="action:{action.pk}:owners"',
            'list="nb-people-list"',
            'name="next_mc"',
            'name="next_release"',
            'id="nb-finalize"',
        ):
            assert part in page, part
        # Every order of the page: agenda items in order, finalize last.
        assert page.index("Release 0.26") < page.index("Docs sprint")
        assert page.index('id="who-joined"') < page.index('id="agenda"')
        assert page.index('id="agenda"') < page.index('id="finalize"')
        # What finalizing still needs is listed at the button.
        problems = page[page.index('id="finalize"') :]
        assert "Agenda item “Release 0.26” is still accepted" in problems


def test_the_admin_change_page_links_to_the_notebook(call):
    client, meeting, *_ = call
    response = client.get(reverse("admin:meetings_meeting_change", args=[meeting.pk]))
    assert f'href="{url(meeting)}" id="open-notebook"' in response.content.decode()


def test_query_count_holds_as_the_agenda_grows(call):
    client, meeting, *_ = call
    client.get(url(meeting))

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(meeting)).status_code == 200
        return len(captured)

    before = queries()
    for n in range(5):
        item = AgendaItemFactory(meeting=meeting, status=AgendaItem.Status.ACCEPTED)
        item.presenters.add(AttendeeFactory())
        action = ActionItemFactory(meeting=meeting, description=f"thing {n}")
        action.owners.add(AttendeeFactory())
        AttendanceFactory(meeting=meeting)
    # The first view after new items copies their texts into the live document.
    client.get(url(meeting))
    assert queries() == before


def test_a_save_writes_every_part_as_one_new_version(call):
    client, meeting, first, _second, action = call
    bo = AttendeeFactory(display_name="Bo Writer", github_handle="bo-writer")
    data = form_data(client.get(url(meeting)), FORM)
    data.update(
        {
            "highlights": "Release is **out**",
            f"item:{first.pk}:notes": "Shipped.\r\nThanks all",
            f"item:{first.pk}:status": "discussed",
            f"action:{action.pk}:owners": "Bo Writer (@bo-writer)",
            "next_mc": "Bo Writer (@bo-writer)",
            "next_release": "lead Bo, 17 Sept",
            "action:new:text": "Ann to book the room",
            "action:new:owners": "Ann MC (@ann-mc), someone new",
            "_save": "1",
        }
    )
    response = client.post(url(meeting), data)
    assert response.status_code == 302
    meeting.refresh_from_db()
    first.refresh_from_db()
    assert meeting.highlights == "Release is **out**"
    assert meeting.next_mc == bo
    assert meeting.next_release == "lead Bo, 17 Sept"
    assert meeting.version == 2
    assert first.discussion_notes == "Shipped.\nThanks all"
    assert first.status == AgendaItem.Status.DISCUSSED
    assert list(action.owners.all()) == [bo]
    new = ActionItem.objects.get(description="Ann to book the room")
    assert [p.display_name for p in new.owners.all()] == ["Ann MC"]
    assert new.owner_names == "someone new"
    record = meeting.history.latest("history_date")
    assert record.history_change_reason.startswith("Notebook: ")


def test_stale_saves_of_different_fields_both_stay(call):
    """The bug of the stock form: a stale save wiped the other person's fields."""
    client, meeting, first, second, _action = call
    max_client = logged_in(maintainer("max")[0])
    ann_form = form_data(client.get(url(meeting)), FORM)
    max_form = form_data(max_client.get(url(meeting)), FORM)

    max_form["highlights"] = "Max's highlights"
    max_form[f"item:{first.pk}:status"] = "discussed"
    assert max_client.post(url(meeting), max_form).status_code == 302

    ann_form["notes"] = "Ann's free notes"
    ann_form[f"item:{second.pk}:notes"] = "Ann's item notes"
    response = client.post(url(meeting), ann_form)
    assert response.status_code == 302
    meeting.refresh_from_db()
    first.refresh_from_db()
    second.refresh_from_db()
    assert meeting.highlights == "Max's highlights"
    assert meeting.notes == "Ann's free notes"
    assert first.status == AgendaItem.Status.DISCUSSED  # not put back
    assert second.discussion_notes == "Ann's item notes"
    assert meeting.version == 3


def test_a_moderation_meanwhile_is_not_undone_by_a_stale_save(call):
    client, meeting, first, *_ = call
    stale = form_data(client.get(url(meeting)), FORM)
    AgendaItem.objects.filter(pk=first.pk).update(status=AgendaItem.Status.DEFERRED)
    stale["highlights"] = "typed meanwhile"
    assert client.post(url(meeting), stale).status_code == 302
    first.refresh_from_db()
    assert first.status == AgendaItem.Status.DEFERRED


def test_the_same_field_changed_twice_is_shown_side_by_side(call):
    client, meeting, first, *_ = call
    max_client = logged_in(maintainer("max")[0])
    ann_form = form_data(client.get(url(meeting)), FORM)
    max_form = form_data(max_client.get(url(meeting)), FORM)
    max_form["highlights"] = "Max's highlights"
    assert max_client.post(url(meeting), max_form).status_code == 302

    ann_form["highlights"] = "Ann's highlights, typed for ten minutes"
    ann_form["next_release"] = "lead Ann"
    response = client.post(url(meeting), ann_form)
    assert response.status_code == 409
    page = response.content.decode()
    assert "1 field changed by someone else too" in page
    assert "Ann&#x27;s highlights, typed for ten minutes" in page
    assert "Max&#x27;s highlights" in page
    meeting.refresh_from_db()
    assert meeting.highlights == "Max's highlights"  # nothing overwritten
    assert meeting.next_release == "lead Ann"  # her other change was saved

    # Saving the shown form again is a deliberate resolution.
    again = form_data(response, FORM)
    assert again["highlights"] == "Ann's highlights, typed for ten minutes"
    again["highlights"] = "Max's highlights; Ann's highlights"
    assert client.post(url(meeting), again).status_code == 302
    meeting.refresh_from_db()
    assert meeting.highlights == "Max's highlights; Ann's highlights"


def test_merge_fields_three_ways():
    base = {"a": digest("x"), "b": digest("x"), "c": digest("x"), "d": digest("x")}
    current = {"a": "x", "b": "theirs", "c": "theirs", "d": "same"}
    submitted = {"a": "mine", "b": "x", "c": "mine", "d": "same", "e": "gone"}
    to_write, kept, conflicts, gone = merge_fields(
        submitted=submitted, bases=base, current=current
    )
    assert to_write == {"a": "mine"}
    assert kept == ["b"]
    assert conflicts == ["c"]
    assert gone == ["e"]


def test_an_unknown_next_mc_is_refused_with_the_text_kept(call):
    client, meeting, *_ = call
    data = form_data(client.get(url(meeting)), FORM)
    data["next_mc"] = "Nobody Known"
    data["highlights"] = "kept"
    response = client.post(url(meeting), data)
    assert response.status_code == 409
    page = response.content.decode()
    assert "MC next call: “Nobody Known”: no one matches; pick a name" in page
    assert 'value="Nobody Known"' in page
    meeting.refresh_from_db()
    assert meeting.highlights == "kept"
    assert meeting.next_mc is None


def test_paste_who_joined_previews_then_adds_and_keeps_typed_notes(call):
    client, meeting, *_ = call
    AttendeeFactory(display_name="Ada Quill", github_handle="adaquill")
    data = form_data(client.get(url(meeting)), FORM)
    data["highlights"] = "typed before pasting"
    data["attendance_text"] = "- Ada Quill (@adaquill)\n- New Person (@newperson)"
    data["_preview_attendance"] = "1"
    response = client.post(url(meeting), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "added: Ada Quill (@adaquill)" in page
    assert "added, new person" in page
    meeting.refresh_from_db()
    assert meeting.highlights == "typed before pasting"
    assert meeting.attendances.count() == 0

    data = form_data(response, FORM)
    data["_add_attendance"] = "1"
    response = client.post(url(meeting), data)
    assert response.status_code == 302
    assert response["Location"].endswith("#who-joined")
    assert meeting.attendances.count() == 2


def test_the_mc_confirms_ticked_check_ins_from_the_notebook(call):
    client, meeting, *_ = call
    for handle in ("real-one", "made-up"):
        check_in(meeting=meeting, handle=handle)
    page = client.get(url(meeting))
    html = page.content.decode()
    assert "Checked in, not confirmed yet (2)" in html
    data = form_data(page, FORM)
    made_up = meeting.check_ins.get(github_handle="made-up")
    assert "confirm_check_in" in data  # ticked by default
    data["confirm_check_in"] = [str(meeting.check_ins.get(github_handle="real-one").pk)]
    data["_confirm_check_ins"] = "1"
    response = client.post(url(meeting), data)
    assert response.status_code == 302
    assert response["Location"].endswith("#who-joined")
    assert [a.github_handle for a in meeting.attendees.all()] == ["real-one"]
    made_up.refresh_from_db()
    assert not made_up.verified
    html = client.get(url(meeting)).content.decode()
    assert "Checked in, not confirmed yet (1)" in html
    assert "Confirmed 1 check-ins: added 1 people to who joined (1 new)." in html


def test_finalize_lists_what_is_missing_then_locks_the_page(call):
    client, meeting, first, second, _action = call
    data = form_data(client.get(url(meeting)), FORM)
    data["_finalize"] = "1"
    response = client.post(url(meeting), data)
    assert response.status_code == 302
    assert response["Location"].endswith("#finalize")
    page = client.get(response["Location"]).content.decode()
    assert "Not finalized: 2 thing(s) missing, listed at Finalize below." in page
    meeting.refresh_from_db()
    assert not meeting.is_finalized

    data = form_data(client.get(url(meeting)), FORM)
    data[f"item:{first.pk}:status"] = "discussed"
    data[f"item:{second.pk}:status"] = "deferred"
    data["highlights"] = "final words"
    data["_finalize"] = "1"
    response = client.post(url(meeting), data)
    meeting.refresh_from_db()
    assert meeting.is_finalized
    assert meeting.highlights == "final words"
    page = client.get(url(meeting)).content.decode()
    assert 'id="nb-locked"' in page
    assert "<textarea" not in page
    # A stale form posted after finalize changes nothing.
    data["highlights"] = "too late"
    response = client.post(url(meeting), data, follow=True)
    assert "are locked: nothing was saved" in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.highlights == "final words"


def test_read_only_render_goes_through_the_sanitizer(call):
    client, meeting, *_ = call
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.FINALIZED,
        # CommonMark: a line opening with <script> is a raw HTML block to its end.
        highlights="<script>alert(1)</script>\n\n**bold**",
    )
    page = client.get(url(meeting)).content.decode()
    assert "<script>alert(1)" not in page
    assert "<strong>bold</strong>" in page
