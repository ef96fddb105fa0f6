import datetime as dt
import secrets

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import ListView, TemplateView, UpdateView
from django.views.generic.edit import CreateView

from agenda.forms import ProposalForm
from agenda.models import ActionItem, AgendaItem
from agenda.notes.exporter import meetings_for_export, render_meeting
from agenda.services import propose_agenda_item
from meetings.models import Meeting
from meetings.views import meeting_or_404
from notices.models import Preference
from notices.services import opt_in
from people.models import Attendee
from ratelimits.services import client_address, give_back, take

PROPOSAL_TOKEN_SALT = "agenda.proposal"
RATE_LIMIT_WINDOW_SECONDS = 3600


def proposals_per_hour() -> int:
    return settings.PROPOSALS_PER_HOUR


def proposal_token(item: AgendaItem) -> str:
    """The signed, timestamped token of a proposal's private edit link.

    It carries the item's random `edit_key` (given on first use), never its id, so
    a link says nothing about other proposals; it expires after
    settings.PROPOSAL_LINK_DAYS.
    """
    if not item.edit_key:
        item.edit_key = secrets.token_urlsafe(32)
        AgendaItem.objects.filter(pk=item.pk).update(edit_key=item.edit_key)
    return signing.dumps(item.edit_key, salt=PROPOSAL_TOKEN_SALT)


def proposal_from_token(token: str) -> AgendaItem:
    max_age = dt.timedelta(days=settings.PROPOSAL_LINK_DAYS)
    try:
        key = signing.loads(token, salt=PROPOSAL_TOKEN_SALT, max_age=max_age)
    except signing.SignatureExpired:
        raise Http404("This private link has expired.") from None
    except signing.BadSignature:
        raise Http404("This private link is not valid.") from None
    if not isinstance(key, str) or not key:
        raise Http404("This private link is not valid.")
    item = (
        AgendaItem.objects.filter(edit_key=key, meeting__isnull=False)
        .select_related("meeting__series")
        .first()
    )
    if item is None:
        raise Http404("This proposal no longer exists.")
    return item


def proposals_open(meeting: Meeting, now=None) -> bool:
    """People may propose on time until the call starts, while it is scheduled."""
    return meeting.status == Meeting.Status.SCHEDULED and not meeting.has_started(now)


def form_shown(meeting: Meeting, now=None) -> bool:
    """The form is offered until the call is over: on time before the start,
    as a late proposal while the call is on."""
    return proposals_open(meeting, now) or meeting.is_on(now)


PROPOSAL_LIMIT_SCOPE = "proposals"


def take_proposal_slot(request) -> bool:
    """Count a proposal from this visitor; False once over the hourly limit."""
    return take(
        scope=PROPOSAL_LIMIT_SCOPE,
        client=client_address(request),
        limit=proposals_per_hour(),
        period=RATE_LIMIT_WINDOW_SECONDS,
    )


def give_back_proposal_slot(request) -> None:
    """A proposal sent back with errors does not count."""
    give_back(scope=PROPOSAL_LIMIT_SCOPE, client=client_address(request))


class ProposeView(CreateView):
    """Propose an agenda item for a coming call, without an account."""

    form_class = ProposalForm
    template_name = "agenda/agendaitem_form.html"

    def dispatch(self, request, *args, **kwargs):
        self.meeting = meeting_or_404(kwargs["series"], kwargs["date_key"])
        # A proposal sent after the start (typed before it, say) is kept as late
        # while the notes are open; only a finalized or cancelled call refuses one,
        # and then the text is shown back so nothing typed is lost.
        refused = (
            not self.meeting.takes_proposals()
            if request.method == "POST"
            else not form_shown(self.meeting)
        )
        if refused:
            return render(
                request,
                "agenda/proposals_closed.html",
                {
                    "meeting": self.meeting,
                    "late_ok": self.meeting.takes_proposals(),
                    "sent_title": request.POST.get("title", "")[:200],
                    "sent_description": request.POST.get("description", "")[:5000],
                },
                status=200 if request.method in ("GET", "HEAD") else 403,
            )
        if request.method == "POST" and not take_proposal_slot(request):
            response = render(
                request,
                "agenda/rate_limited.html",
                {"meeting": self.meeting, "limit": proposals_per_hour()},
                status=429,
            )
            response["Retry-After"] = str(RATE_LIMIT_WINDOW_SECONDS)
            return response
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            meeting=self.meeting,
            late=self.meeting.has_started(),
            person=self.signed_in_person(),
            **kwargs,
        )

    def signed_in_person(self):
        if not self.request.user.is_authenticated:
            return None
        return Attendee.objects.filter(user=self.request.user).first()

    def get_initial(self):
        person = self.signed_in_person()
        if person is None:
            return super().get_initial()
        return {
            "proposer_name": person.display_name,
            "proposer_handle": person.github_handle,
        }

    def form_invalid(self, form):
        give_back_proposal_slot(self.request)
        return super().form_invalid(form)

    def form_valid(self, form):
        item = form.save(commit=False)
        item.proposer = self.signed_in_person()
        item.arrived_late = self.meeting.has_started()
        item.edit_key = secrets.token_urlsafe(32)  # the private link, no later write
        propose_agenda_item(meeting=self.meeting, item=item)
        # Leaving an address on the form is asking to hear about the decision;
        # the address confirms it through a link before anything else goes there.
        preference = opt_in(email=item.proposer_email, topic=Preference.Topic.PROPOSALS)
        if item.arrived_late:
            thanks = _(
                "Thank you, your item is kept as a late proposal: the call had "
                "started, so the MC takes it now or moves it to the next call. Keep "
                "the address of this page private: it lets you edit or withdraw it."
            )
        else:
            thanks = _(
                "Thank you, your item is on the agenda as proposed. Keep the address "
                "of this page private: it lets you edit or withdraw the item."
            )
        messages.success(self.request, thanks)
        if preference is not None and not preference.is_confirmed:
            messages.info(
                self.request,
                _(
                    "We sent a link to %s: open it to confirm the address, and we "
                    "write to you when the MC decides."
                )
                % preference.email,
            )
        return redirect("agenda:proposal", token=proposal_token(item))


class ProposalView(UpdateView):
    """The proposer's private page: status, decline reason, edit while proposed."""

    form_class = ProposalForm
    template_name = "agenda/proposal_detail.html"
    context_object_name = "item"

    def get_object(self, queryset=None):
        return proposal_from_token(self.kwargs["token"])

    def can_edit(self, item) -> bool:
        return item.is_proposed and item.meeting.takes_proposals()

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        if not self.can_edit(self.object):
            return self.render_to_response(self.get_context_data(), status=403)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        item = self.object
        context = super().get_context_data(**kwargs)
        context.update(
            meeting=item.meeting,
            can_edit=self.can_edit(item),
            private_url=self.request.build_absolute_uri(),
            token=self.kwargs["token"],
        )
        return context

    def form_valid(self, form):
        item = form.save(commit=False)
        # Changed after the start: the MC may have read it already.
        item.arrived_late = item.arrived_late or item.meeting.has_started()
        item.save()
        opt_in(email=item.proposer_email, topic=Preference.Topic.PROPOSALS)
        messages.success(self.request, _("Your changes are saved."))
        return redirect("agenda:proposal", token=self.kwargs["token"])


def withdraw_proposal(request, token):
    """Withdraw (delete) a proposal through its private link, while still proposed."""
    item = proposal_from_token(token)
    if request.method != "POST":
        return redirect("agenda:proposal", token=token)
    if not (item.is_proposed and item.meeting.takes_proposals()):
        messages.error(
            request, _("This item can no longer be withdrawn: the MC has handled it.")
        )
        return redirect("agenda:proposal", token=token)
    meeting = item.meeting
    item.delete()
    messages.success(request, _("Your proposal “%s” was withdrawn.") % item.title)
    return redirect(meeting)


class MyProposalsView(LoginRequiredMixin, ListView):
    """A signed-in person's proposals, newest first, each with its status."""

    template_name = "agenda/my_proposals.html"
    context_object_name = "items"
    paginate_by = 50

    def get_queryset(self):
        self.person = Attendee.objects.filter(user=self.request.user).first()
        if self.person is None:
            return AgendaItem.objects.none()
        return (
            AgendaItem.objects.filter(proposer=self.person)
            .select_related("meeting__series", "series")
            .order_by("-created_at", "-pk")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(person=self.person, **kwargs)
        items = context["items"]
        # Where each deferred item went: the history says "Deferred from <date>".
        moved = dict(
            AgendaItem.history.filter(
                id__in=[item.pk for item in items],
                history_change_reason__startswith="Deferred from ",
            )
            .order_by("history_date")
            .values_list("id", "history_change_reason")
        )
        # Their private links, without a write per item that has no key yet.
        keyless = [item for item in items if item.meeting_id and not item.edit_key]
        for item in keyless:
            item.edit_key = secrets.token_urlsafe(32)
        if keyless:
            AgendaItem.objects.bulk_update(keyless, ["edit_key"])
        for item in items:
            item.deferred_from = moved.get(item.pk, "").removeprefix("Deferred from ")
            item.private_token = proposal_token(item) if item.meeting_id else ""
            item.editable = bool(
                item.meeting_id and item.is_proposed and item.meeting.proposals_open()
            )
        return context


class ActionItemListView(TemplateView):
    """Open action items from published notes, grouped by owner, with their age."""

    template_name = "agenda/actionitem_list.html"

    def get_context_data(self, **kwargs):
        actions = list(
            ActionItem.objects.open()
            .filter(meeting__status=Meeting.Status.FINALIZED)
            .select_related("meeting__series")
            .prefetch_related("owners")
            .order_by("meeting__start", "position", "pk")
        )
        now = timezone.now()
        groups: dict[tuple, dict] = {}
        for action in actions:
            action.age = (now - action.meeting.start).days
            owners = list(action.owners.all())
            for owner in owners:
                key = (0, owner.display_name.lower(), owner.pk)
                groups.setdefault(key, {"owner": owner, "name": "", "actions": []})
                groups[key]["actions"].append(action)
            if not owners:
                # Names from the notes that match nobody yet, or nobody at all.
                name = action.owner_names.strip()
                key = (1, name.lower(), 0)
                groups.setdefault(key, {"owner": None, "name": name, "actions": []})
                groups[key]["actions"].append(action)
        return super().get_context_data(
            groups=[groups[key] for key in sorted(groups)],
            action_count=len(actions),
            **kwargs,
        )


class MeetingMarkdownView(View):
    """One finalized call as markdown, for download: /calls/<series>/<date>.md

    The same exporter as `manage.py export_notes`, so what people download is what
    the community's notes repository would hold. Drafts, scheduled and cancelled
    calls are not published: 404.
    """

    def get(self, request, series, date_key):
        meeting = (
            meetings_for_export(
                Meeting.objects.finalized().for_series(series).on_date_key(date_key)
            )
            .order_by()
            .first()
        )
        if meeting is None:
            raise Http404("No finalized call of this series on this date.")
        response = HttpResponse(
            render_meeting(meeting), content_type="text/markdown; charset=utf-8"
        )
        response["Content-Disposition"] = f'inline; filename="{series}-{date_key}.md"'
        return response
