import datetime as dt
import time

import pytest
from django.core import signing
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agenda.models import AgendaItem
from agenda.views import proposal_from_token, proposal_token
from meetings.models import PublishedPage
from pagecache.models import SiteGeneration
from tests.factories import (
    ActionItemFactory,
    AgendaItemFactory,
    AttendeeFactory,
    MeetingFactory,
    MeetingSeriesFactory,
)

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)
PROPOSAL = {
    "proposer_name": "Sam Visitor",
    "proposer_handle": "sam-v",
    "title": "Monthly office hours",
    "description": "Why not <script>x</script>**monthly**?",
    "requested_minutes": "10",
    "links": "https://example.org/a",
    "website": "",
}


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def coming():
    series = MeetingSeriesFactory(slug="community", title="Widget Call")
    return MeetingFactory(
        series=series, status="scheduled", start=NOW + dt.timedelta(days=2)
    )


def propose_url(meeting):
    return meeting.get_absolute_url() + "propose/"


def test_the_propose_page_has_a_labelled_form_with_csrf(client, coming):
    response = client.get(propose_url(coming))
    html = response.content.decode()
    assert response.status_code == 200
    assert (
        f"<title>Propose an item for Widget Call, {coming.date_key} · Callbook" in html
    )
    assert "csrfmiddlewaretoken" in html
    for field in ("proposer_name", "proposer_handle", "title", "description", "links"):
        assert f'<label for="id_{field}">' in html
    assert '<div class="form-field form-extra" aria-hidden="true">' in html
    # Nothing tells a bot which field is the trap.
    for word in ("trap", "honeypot", "leave this", "empty", " bots"):
        assert word not in html.lower(), word


def test_a_proposal_lands_as_proposed_and_leads_to_a_private_link(client, coming):
    AgendaItemFactory(meeting=coming, status="accepted", position=4)
    response = client.post(propose_url(coming), PROPOSAL)
    item = AgendaItem.objects.get(title="Monthly office hours")
    assert item.status == AgendaItem.Status.PROPOSED
    assert item.meeting == coming
    assert item.series == coming.series
    assert item.position == 5
    assert item.proposer_handle == "sam-v"
    assert response.status_code == 302
    token = response["Location"].removeprefix("/proposals/").removesuffix("/")
    assert proposal_from_token(token) == item
    page = client.get(response["Location"]).content.decode()
    assert "your item is on the agenda as proposed" in page
    assert f"http://testserver/proposals/{token}/" in page
    call_page = client.get(coming.get_absolute_url()).content.decode()
    assert "Monthly office hours" in call_page
    assert "<strong>monthly</strong>" in call_page
    assert "<script>x" not in call_page


@pytest.mark.django_db(transaction=True)
def test_a_proposal_is_one_short_transaction_with_one_new_stamp(
    client, coming, monkeypatch
):
    monkeypatch.setattr("ratelimits.services.SWEEP_PROBABILITY", 0)
    SiteGeneration.bump()  # the stamp's row exists, as on any running site
    with CaptureQueriesContext(connection) as queries:
        response = client.post(propose_url(coming), PROPOSAL)
    assert response.status_code == 302
    statements = [query["sql"] for query in queries]
    # SQLite shows its BEGIN and COMMIT; PostgreSQL opens its transaction silently.
    control = [sql for sql in statements if sql in ("BEGIN", "COMMIT")]
    statements = [sql for sql in statements if sql not in control]
    assert control in ([], ["BEGIN", "COMMIT"])
    # Find the call, count the visitor's proposals (rate limit), the next
    # position, the item, its history row, the new stamp (with its NOTIFY on
    # PostgreSQL); and the call's stored notes, if any, dropped in the transaction
    # and once more after it commits (meetings/published.py).
    published = PublishedPage._meta.db_table
    assert sum(f'DELETE FROM "{published}"' in sql for sql in statements) == 2
    assert statements[-1].startswith(f'DELETE FROM "{published}"')
    assert len(statements) <= 8, "\n".join(sql[:90] for sql in statements)
    stamp_table = SiteGeneration._meta.db_table
    assert sum(f'UPDATE "{stamp_table}"' in sql for sql in statements) == 1
    # The call's search text is written when its notes are finalized, not here.
    assert not any(sql.startswith('UPDATE "meetings_meeting"') for sql in statements)


def test_a_database_failure_mid_proposal_stores_nothing(client, coming, monkeypatch):
    def fail(cls):
        raise DatabaseError("could not write: the disk is full")

    # The item and its history row are written by then; the stamp write fails.
    monkeypatch.setattr(SiteGeneration, "bump", classmethod(fail))
    with pytest.raises(DatabaseError):
        client.post(propose_url(coming), PROPOSAL)
    assert not AgendaItem.objects.filter(title=PROPOSAL["title"]).exists()
    assert not AgendaItem.history.filter(title=PROPOSAL["title"]).exists()


def test_bad_input_shows_errors_and_keeps_what_was_typed(client, coming):
    response = client.post(
        propose_url(coming), {**PROPOSAL, "proposer_handle": "-bad-", "title": ""}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "is not a valid GitHub handle" in html
    assert "This field is required." in html
    assert 'value="Sam Visitor"' in html
    assert "Why not &lt;script&gt;x&lt;/script&gt;**monthly**?</textarea>" in html
    assert not AgendaItem.objects.exists()


def test_the_honeypot_stops_the_proposal(client, coming):
    response = client.post(propose_url(coming), {**PROPOSAL, "website": "spam"})
    assert response.status_code == 200
    assert "This form could not be sent." in response.content.decode()
    assert not AgendaItem.objects.exists()


def test_csrf_is_enforced(coming):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(propose_url(coming), PROPOSAL)
    assert response.status_code == 403
    assert not AgendaItem.objects.exists()


def test_the_sixth_proposal_in_an_hour_gets_a_polite_429(client, coming):
    for n in range(5):
        response = client.post(propose_url(coming), {**PROPOSAL, "title": f"Item {n}"})
        assert response.status_code == 302
    response = client.post(propose_url(coming), {**PROPOSAL, "title": "Item 6"})
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "at most 5 proposals an hour" in response.content.decode()
    assert AgendaItem.objects.count() == 5
    # Another address is not affected.
    other = client.post(
        propose_url(coming), {**PROPOSAL, "title": "Other"}, REMOTE_ADDR="10.9.9.9"
    )
    assert other.status_code == 302


def test_the_rate_limit_is_a_setting(client, coming, settings):
    settings.PROPOSALS_PER_HOUR = 1
    assert client.post(propose_url(coming), PROPOSAL).status_code == 302
    assert client.post(propose_url(coming), PROPOSAL).status_code == 429


def test_failed_attempts_do_not_use_up_the_limit(client, coming):
    for _ in range(6):
        client.post(propose_url(coming), {**PROPOSAL, "title": ""})
    assert client.post(propose_url(coming), PROPOSAL).status_code == 302


def test_a_proposal_sent_after_the_start_is_kept_as_late(client):
    started = MeetingFactory(status="scheduled", start=NOW - dt.timedelta(minutes=1))
    html = client.get(propose_url(started)).content.decode()
    assert "The call has started. You can still send your item" in html
    response = client.post(propose_url(started), PROPOSAL)
    assert response.status_code == 302
    item = AgendaItem.objects.get()
    assert item.title == "Monthly office hours"
    assert item.arrived_late
    assert item.status == "proposed"
    page = client.get(response["Location"]).content.decode()
    assert "kept as a late proposal" in page
    assert "(late: it arrived after the call started" in page
    call_page = client.get(started.get_absolute_url()).content.decode()
    assert '<span class="badge badge-late">late</span>' in call_page


def test_a_proposal_on_time_is_not_late(client, coming):
    client.post(propose_url(coming), PROPOSAL)
    assert not AgendaItem.objects.get().arrived_late


def test_after_the_call_the_form_is_closed_but_a_late_send_is_kept(client):
    over = MeetingFactory(status="held", start=NOW - dt.timedelta(hours=5))
    html = client.get(propose_url(over)).content.decode()
    assert "Proposals are closed" in html
    assert "is over" in html
    assert client.post(propose_url(over), PROPOSAL).status_code == 302
    assert AgendaItem.objects.get().arrived_late


def test_a_refused_proposal_shows_its_text_back(client):
    finalized = MeetingFactory()
    response = client.post(propose_url(finalized), PROPOSAL)
    assert response.status_code == 403
    html = response.content.decode()
    assert "What you sent" in html
    assert 'value="Monthly office hours"' in html
    assert "Why not &lt;script&gt;x&lt;/script&gt;**monthly**?</textarea>" in html
    assert not AgendaItem.objects.exists()


def test_no_proposals_for_cancelled_or_finalized_calls(client):
    cancelled = MeetingFactory(status="cancelled", start=NOW + dt.timedelta(days=1))
    assert "is cancelled" in client.get(propose_url(cancelled)).content.decode()
    finalized = MeetingFactory()
    assert client.post(propose_url(finalized), PROPOSAL).status_code == 403


def test_propose_for_an_unknown_call_is_404(client, coming):
    assert client.get("/calls/community/1999-01-01/propose/").status_code == 404
    assert client.get("/calls/nope/2024-01-01/propose/").status_code == 404


def test_an_oversized_body_gets_a_clear_400_page(client, coming):
    response = client.post(
        propose_url(coming), {**PROPOSAL, "description": "x" * 1_048_576}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "What you sent is too large" in html
    assert "at most 256 KiB" in html
    assert not AgendaItem.objects.exists()


def private_url(item):
    return f"/proposals/{proposal_token(item)}/"


@pytest.fixture
def proposal(coming):
    return AgendaItemFactory(
        meeting=coming,
        status="proposed",
        title="Old title",
        proposer_name="Sam",
        requested_minutes=5,
    )


def test_private_links_are_opaque_and_unrelated_to_ids(client, coming):
    tokens = []
    for n in range(2):
        client.post(propose_url(coming), {**PROPOSAL, "title": f"Item {n}"})
    for item in AgendaItem.objects.order_by("pk"):
        token = proposal_token(item)
        payload = signing.b64_decode(token.split(":")[0].encode()).decode()
        # The payload is the item's random key, not its (sequential) id.
        assert payload == f'"{item.edit_key}"'
        assert len(item.edit_key) >= 40
        tokens.append(token)
    assert len({t.split(":")[0] for t in tokens}) == 2
    # A link of the old form (a signed id) opens nothing.
    old_style = signing.dumps(AgendaItem.objects.first().pk, salt="agenda.proposal")
    assert client.get(f"/proposals/{old_style}/").status_code == 404
    # Items without a private link (written by the MC) cannot be reached with "".
    assert (
        client.get(
            f"/proposals/{signing.dumps('', salt='agenda.proposal')}/"
        ).status_code
        == 404
    )


def test_private_links_expire_after_the_configured_days(
    client, proposal, settings, monkeypatch
):
    settings.PROPOSAL_LINK_DAYS = 30
    url = private_url(proposal)
    assert client.get(url).status_code == 200
    issued = time.time()
    monkeypatch.setattr(signing.time, "time", lambda: issued + 29 * 86400)
    assert client.get(url).status_code == 200
    monkeypatch.setattr(signing.time, "time", lambda: issued + 31 * 86400)
    assert client.get(url).status_code == 404
    response = client.post(url + "withdraw/")
    assert response.status_code == 404
    assert AgendaItem.objects.filter(pk=proposal.pk).exists()


def test_the_private_link_edits_the_proposal(client, proposal):
    url = private_url(proposal)
    html = client.get(url).content.decode()
    assert 'value="Old title"' in html
    assert '<meta name="robots" content="noindex, nofollow">' in html
    assert 'rel="canonical"' not in html
    response = client.post(
        url, {**PROPOSAL, "title": "New title", "website": "ignored on edit"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "New title"
    assert proposal.status == "proposed"
    assert "Your changes are saved." in client.get(url).content.decode()


def test_the_private_link_withdraws_the_proposal(client, proposal, coming):
    response = client.post(private_url(proposal) + "withdraw/")
    assert response.status_code == 302
    assert response["Location"] == coming.get_absolute_url()
    assert not AgendaItem.objects.filter(pk=proposal.pk).exists()
    assert "was withdrawn" in client.get(response["Location"]).content.decode()
    assert client.get(private_url(proposal)).status_code == 404


def test_withdraw_needs_a_post(client, proposal):
    response = client.get(private_url(proposal) + "withdraw/")
    assert response.status_code == 302
    assert AgendaItem.objects.filter(pk=proposal.pk).exists()


def test_a_handled_proposal_can_no_longer_be_changed(client, proposal):
    proposal.status = "declined"
    proposal.decline_reason = "Out of scope for this call; try the <docs> call."
    proposal.save()
    url = private_url(proposal)
    html = client.get(url).content.decode()
    assert "The MC declined this item." in html
    assert "Out of scope for this call; try the &lt;docs&gt; call." in html
    assert "<form" not in html.split("</header>", 1)[1]
    response = client.post(url, {**PROPOSAL, "title": "Sneaky"})
    assert response.status_code == 403
    client.post(url + "withdraw/")
    proposal.refresh_from_db()
    assert proposal.title == "Old title"


def test_a_proposal_changed_after_the_start_is_kept_and_marked_late(
    client, proposal, coming
):
    coming.start = NOW - dt.timedelta(minutes=5)
    coming.save()
    response = client.post(private_url(proposal), {**PROPOSAL, "title": "Changed"})
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.title == "Changed"
    assert proposal.arrived_late


def test_a_proposal_cannot_change_once_the_notes_are_finalized(
    client, proposal, coming
):
    coming.start = NOW - dt.timedelta(days=1)
    coming.status = "finalized"
    coming.save()
    html = client.get(private_url(proposal)).content.decode()
    assert "The notes of this call are closed" in html
    assert client.post(private_url(proposal), PROPOSAL).status_code == 403


def test_a_token_for_another_purpose_is_refused(client, proposal):
    from django.core import signing

    forged = signing.dumps(proposal.pk, salt="something-else")
    assert client.get(f"/proposals/{forged}/").status_code == 404


def test_actions_page_groups_open_items_by_owner_with_age(client):
    ada = AttendeeFactory(display_name="Ada", github_handle="ada")
    bo = AttendeeFactory(display_name="Bo", github_handle="bo")
    old = MeetingFactory(start=NOW - dt.timedelta(days=30))
    new = MeetingFactory(start=NOW - dt.timedelta(days=2))
    shared = ActionItemFactory(meeting=old, description="Shared task")
    shared.owners.add(ada, bo)
    mine = ActionItemFactory(meeting=new, description="Ada alone")
    mine.owners.add(ada)
    ActionItemFactory(meeting=new, description="Done already", status="done")
    ActionItemFactory(meeting=new, description="Nameless", owner_names="Zed")
    draft = MeetingFactory(status="held")
    ActionItemFactory(meeting=draft, description="In a draft")
    html = client.get("/actions/").content.decode()
    assert "4 open items" not in html
    assert "3 open items" in html
    ada_section = html[html.index(">Ada</a></h2>") : html.index(">Bo</a></h2>")]
    assert ada_section.index("Shared task") < ada_section.index("Ada alone")
    assert "30 days ago" in ada_section
    assert "2 days ago" in ada_section
    assert "Shared task" in html[html.index(">Bo</a></h2>") :]
    assert "Zed</h2>" in html
    assert "Done already" not in html
    assert "In a draft" not in html


def test_nul_bytes_in_a_proposal_are_a_field_error(client, coming):
    response = client.post(
        propose_url(coming), {**PROPOSAL, "title": "a\x00b", "description": "\x00"}
    )
    assert response.status_code == 200
    assert "Null characters are not allowed." in response.content.decode()
    assert not AgendaItem.objects.exists()
