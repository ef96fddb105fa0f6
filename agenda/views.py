"""The agenda's pages: proposing items, the proposer's private page, open action
items, the `.md` download, and the notebook of a call (for its MC, note-takers and
Maintainers) with the read-only live view anyone may follow."""

import datetime as dt
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.views import redirect_to_login
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import ListView, TemplateView, UpdateView
from django.views.generic.edit import CreateView

from agenda.forms import ProposalForm
from agenda.models import ActionItem, AgendaItem
from agenda.notebook import live
from agenda.notebook.consumers import (
    broadcast,
    broadcast_changed,
    broadcast_update,
)
from agenda.notebook.services import (
    ACTION_STATUSES,
    ITEM_STATUSES,
    NEW_ACTION,
    digest,
    field_values,
    notebook_actions,
    notebook_items,
    save_notebook,
)
from agenda.notes.exporter import meetings_for_export, render_meeting
from agenda.services import (
    FinalizeError,
    agenda_budget,
    finalize_meeting,
    finalize_problems,
    propose_agenda_item,
)
from meetings.models import Attendance, CheckIn, Meeting
from meetings.services import (
    MeetingError,
    can_edit_meeting,
    can_view_meeting,
    check_in_window,
    confirm_check_ins,
    plan_attendance,
    record_attendance,
)
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
        # The form itself is offered until the call is over: on time before the
        # start, as a late proposal while the call is on.
        refused = not (
            self.meeting.proposals_open(late=True)
            if request.method == "POST"
            else self.meeting.proposals_open() or self.meeting.is_on()
        )
        if refused:
            return render(
                request,
                "agenda/proposals_closed.html",
                {
                    "meeting": self.meeting,
                    "late_ok": self.meeting.proposals_open(late=True),
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
        return item.is_proposed and item.meeting.proposals_open(late=True)

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
    if not (item.is_proposed and item.meeting.proposals_open(late=True)):
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


# The notebook of one call, /calls/<series>/<date>/notebook/ --------------------
#
# One screen that follows the call top to bottom. Without JavaScript it is one form:
# every button (save, preview or add who joined, finalize) first saves what was
# typed, merged field by field with what others saved meanwhile (`save_notebook`).
# The live editing (WebSockets, the shared document) is in `agenda/notebook/`.

PASTE_LIMIT = 20_000
# Owner and next-MC suggestions: this call's people and the regulars of the
# series' recent calls.
SUGGESTED_FROM_CALLS = 6
SUGGESTED_PEOPLE = 300


@dataclass(frozen=True)
class NotebookField:
    """One field as the page shows it: its key (the form name), the value in the
    box, the digest of the saved value, and a conflict to resolve if any."""

    name: str
    value: str
    base: str
    conflict: object = None


def notebook_url(meeting: Meeting, anchor: str = "") -> str:
    return (
        reverse(
            "agenda:notebook",
            kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
        )
        + anchor
    )


def suggested_people(meeting: Meeting) -> list[Attendee]:
    recent = Meeting.objects.filter(
        series=meeting.series_id, start__lte=meeting.start
    ).order_by("-start")[:SUGGESTED_FROM_CALLS]
    return list(
        Attendee.objects.filter(attendances__meeting__in=recent)
        .distinct()
        .order_by("display_name")[:SUGGESTED_PEOPLE]
    )


def is_live_text(key: str) -> bool:
    return key in ("highlights", "notes") or key.endswith((":notes", ":text"))


# The notebook's sections a live page can fetch alone (?section=) and swap in.
NOTEBOOK_SECTIONS = {
    "people": "includes/notebook/who_joined.html",
    "agenda": "includes/notebook/agenda.html",
    "actions": "includes/notebook/action_items.html",
    "closing": "includes/notebook/closing.html",
    "finalize": "includes/notebook/finalize.html",
}


def changed_sections(keys) -> set[str]:
    """The sections showing these saved fields (texts typed live aside)."""
    sections = set()
    for key in keys:
        if is_live_text(key):
            continue
        if key.startswith("item:"):
            sections.add("agenda")
        elif key.startswith("action:"):
            sections.add("actions")
        else:
            sections.add("closing")
    return sections


@method_decorator(never_cache, name="dispatch")
class NotebookView(View):
    template_name = "agenda/notebook.html"

    def dispatch(self, request, *args, **kwargs):
        self.meeting = meeting_or_404(kwargs["series"], kwargs["date_key"])
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        self.can_edit = can_edit_meeting(user, self.meeting)
        if not (self.can_edit or can_view_meeting(user, self.meeting)):
            raise PermissionDenied("Only the call's MC, note-takers and Maintainers.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def live(self) -> bool:
        return settings.NOTEBOOK_LIVE and self.can_edit

    def sync_live(self, reason="live notes"):
        """Write what was typed live through to the models before reading them."""
        if self.live and not self.meeting.is_finalized:
            synced = live.sync_doc(
                meeting_id=self.meeting.pk, user=self.request.user, reason=reason
            )
            broadcast_update(self.meeting.pk, synced.update)

    def get(self, request, *args, **kwargs):
        sections = request.GET.getlist("section")
        if sections:
            # A live page updating what someone changed: no write-through here.
            return self.render_page(sections=sections)
        self.sync_live()
        return self.render_page()

    def post(self, request, *args, **kwargs):
        if not self.can_edit:
            raise PermissionDenied("You may read these notes, not change them.")
        post = request.POST
        submitted, bases = {}, {}
        for name in post:
            if name.startswith("base:"):
                key = name[len("base:") :]
                bases[key] = post[name]
                if key in post:
                    submitted[key] = post[key]
        try:
            self.sync_live()
            result = save_notebook(
                meeting=self.meeting,
                user=request.user,
                submitted=submitted,
                bases=bases,
                new_action={
                    "text": post.get(f"{NEW_ACTION}:text", ""),
                    "owners": post.get(f"{NEW_ACTION}:owners", ""),
                },
            )
        except MeetingError as error:
            if request.headers.get("X-Requested-With") == "fetch":
                return JsonResponse({"error": error.message}, status=409)
            messages.error(request, error.message)
            return HttpResponseRedirect(notebook_url(self.meeting))
        self.meeting = result.meeting
        self.tell_open_notebooks(result, submitted)
        if request.headers.get("X-Requested-With") == "fetch":
            # The live notebook saved a structured change without leaving the page.
            return JsonResponse(self.save_summary(result))
        if result.conflicts or result.problems:
            # Give the page back with what was typed; nothing else is done.
            return self.render_page(result=result, submitted=submitted, status=409)
        if result.saved:
            messages.success(request, self.saved_message(result))
        if "_finalize" in post:
            return self.finalize()
        if "_confirm_check_ins" in post:
            return self.confirm_check_ins(post.getlist("confirm_check_in"))
        if "_preview_attendance" in post or "_add_attendance" in post:
            return self.attendance(post.get("attendance_text", "")[:PASTE_LIMIT])
        return HttpResponseRedirect(notebook_url(self.meeting, post.get("_anchor", "")))

    def tell_open_notebooks(self, result, submitted) -> None:
        """Texts saved from the form go into the live document; structured changes
        make every open notebook fetch the sections they touch."""
        if not result.saved:
            return
        texts = {
            key: submitted[key].replace("\r\n", "\n")
            for key in result.saved
            if is_live_text(key) and key in submitted
        }
        if self.live and texts:
            broadcast_update(
                self.meeting.pk, live.set_texts(meeting_id=self.meeting.pk, texts=texts)
            )
        sections = changed_sections(result.saved)
        if sections:
            broadcast_changed(self.meeting.pk, sections, user=self.request.user)

    def save_summary(self, result) -> dict:
        return {
            "saved": result.saved,
            "kept": result.kept,
            "conflicts": [
                {"key": conflict.key, "label": conflict.label}
                for conflict in result.conflicts
            ],
            "problems": result.problems,
            "version": result.meeting.version,
        }

    def saved_message(self, result) -> str:
        text = f"Saved version {result.meeting.version}."
        if result.kept:
            text += (
                f" {len(result.kept)} field(s) someone else changed meanwhile were "
                f"kept as they saved them."
            )
        return text

    def finalize(self):
        try:
            with transaction.atomic():
                if self.live:
                    # The finalized text is what everyone typed, to the last update:
                    # the meeting's row stays locked until the status is set.
                    live.sync_doc(
                        meeting_id=self.meeting.pk,
                        user=self.request.user,
                        reason="the typed text, at Finalize",
                    )
                result = finalize_meeting(meeting=self.meeting, user=self.request.user)
        except FinalizeError as error:
            messages.error(
                self.request,
                f"Not finalized: {len(error.problems)} thing(s) missing, listed "
                f"at Finalize below.",
            )
            return HttpResponseRedirect(notebook_url(self.meeting, "#finalize"))
        broadcast(self.meeting.pk, {"type": "notebook.locked"}, followers=True)
        if result.already_finalized:
            messages.info(self.request, "These notes were finalized already.")
        else:
            messages.success(
                self.request,
                f"Notes finalized and locked. Next call: "
                f"{result.next_meeting.date_key}.",
            )
        return HttpResponseRedirect(notebook_url(self.meeting))

    def confirm_check_ins(self, picked: list[str]):
        ids = [int(value) for value in picked if value.isdigit()]
        try:
            result = confirm_check_ins(
                meeting=self.meeting,
                check_ins=CheckIn.objects.filter(pk__in=ids, meeting=self.meeting),
                user=self.request.user,
            )
        except MeetingError as error:
            messages.error(self.request, error.message)
        else:
            broadcast(self.meeting.pk, {"type": "notebook.changed", "what": "people"})
            messages.success(
                self.request,
                f"Confirmed {len(result.confirmed)} check-ins: added "
                f"{len(result.added)} people to who joined "
                f"({len(result.created_people)} new).",
            )
        return HttpResponseRedirect(notebook_url(self.meeting, "#who-joined"))

    def attendance(self, text: str):
        if "_add_attendance" in self.request.POST:
            if self.request.POST.get("previewed") != digest(text):
                messages.warning(
                    self.request, "The list changed since the preview: check it."
                )
            else:
                try:
                    added = record_attendance(
                        meeting=self.meeting, text=text, user=self.request.user
                    )
                except MeetingError as error:
                    messages.error(self.request, error.message)
                else:
                    broadcast(
                        self.meeting.pk, {"type": "notebook.changed", "what": "people"}
                    )
                    messages.success(
                        self.request,
                        f"Added {len(added.added)} people to who joined "
                        f"({len(added.created_people)} new); "
                        f"{len(added.skipped)} skipped.",
                    )
                    return HttpResponseRedirect(
                        notebook_url(self.meeting, "#who-joined")
                    )
        if not text.strip():
            messages.warning(self.request, "Paste the list of who joined first.")
            return HttpResponseRedirect(notebook_url(self.meeting, "#who-joined"))
        plan = plan_attendance(meeting=self.meeting, text=text)
        return self.render_page(attendance_text=text, plan=plan)

    def render_page(
        self,
        *,
        result=None,
        submitted=None,
        attendance_text="",
        plan=None,
        status=200,
        sections=(),
    ):
        meeting = (
            Meeting.objects.select_related("series", "mc", "next_mc", "finalized_by")
            .filter(pk=self.meeting.pk)
            .get()
        )
        items = notebook_items(meeting)
        actions = notebook_actions(meeting)
        values = field_values(meeting, items, actions)
        shown = dict(values)
        conflicts = {c.key: c for c in (result.conflicts if result else [])}
        if result and submitted:
            # Keep what the person typed where it was not saved; the base becomes
            # what is saved now, so saving again means "mine, having seen theirs".
            for key in conflicts:
                shown[key] = submitted[key]
            for key in submitted:
                if key not in result.saved and key in values:
                    shown[key] = submitted[key]
        now = timezone.now()
        editable = self.can_edit and not meeting.is_finalized
        opens, closes = check_in_window(meeting)
        remaining = sum(
            item.requested_minutes
            for item in items
            if item.status == AgendaItem.Status.ACCEPTED
        )
        fields = {
            key: NotebookField(key, shown[key], digest(value), conflicts.get(key))
            for key, value in values.items()
        }
        context = {
            "meeting": meeting,
            "editable": editable,
            "live": self.live and editable,
            "live_user": self.request.user.get_full_name()
            or self.request.user.get_username(),
            "can_edit": self.can_edit,
            "fields": fields,
            "conflicts": list(conflicts.values()),
            "result": result,
            "items": [
                (
                    item,
                    fields[f"item:{item.pk}:notes"],
                    fields[f"item:{item.pk}:status"],
                )
                for item in items
            ],
            "actions": [
                (
                    action,
                    fields[f"action:{action.pk}:text"],
                    fields[f"action:{action.pk}:owners"],
                    fields[f"action:{action.pk}:status"],
                )
                for action in actions
            ],
            "new_action": NEW_ACTION,
            "item_statuses": [
                (value, AgendaItem.Status(value).label) for value in ITEM_STATUSES
            ],
            "action_statuses": [
                (value, ActionItem.Status(value).label) for value in ACTION_STATUSES
            ],
            "attendances": list(
                Attendance.objects.filter(meeting=meeting)
                .select_related("attendee")
                .order_by("position", "pk")
            ),
            "pending_check_ins": list(
                meeting.check_ins.filter(verified=False).order_by("created_at", "pk")
            )
            if editable
            else [],
            "people": suggested_people(meeting) if editable else [],
            "attendance_text": attendance_text,
            "plan": plan,
            "previewed": digest(attendance_text) if plan else "",
            "budget": agenda_budget(meeting=meeting),
            "remaining_minutes": remaining,
            "minutes_left": max(0, int((meeting.end - now).total_seconds() // 60)),
            "has_started": meeting.has_started(now),
            "has_ended": meeting.end <= now,
            "starts_at": meeting.format_moment(meeting.start),
            "check_in_url": self.request.build_absolute_uri(
                reverse(
                    "meetings:checkin",
                    kwargs={
                        "series": meeting.series.slug,
                        "date_key": meeting.date_key,
                    },
                )
            ),
            "check_in_open": opens <= now <= closes,
            "problems": []
            if meeting.is_finalized
            else finalize_problems(meeting=meeting, now=now),
            "admin_url": reverse("admin:meetings_meeting_change", args=[meeting.pk]),
        }
        if sections:
            context["section_templates"] = [
                NOTEBOOK_SECTIONS[name]
                for name in NOTEBOOK_SECTIONS
                if name in sections and (name != "finalize" or editable)
            ]
            return render(self.request, "agenda/notebook_sections.html", context)
        if not context["live"]:
            return render(self.request, self.template_name, context, status=status)
        # The live editor's styles need a <style> element: allow that one by nonce.
        nonce = secrets.token_urlsafe(18)
        context["style_nonce"] = nonce
        response = render(self.request, self.template_name, context, status=status)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy:
            response["Content-Security-Policy"] = policy.replace(
                "style-src 'self'", f"style-src 'self' 'nonce-{nonce}'"
            )
        return response


@method_decorator(never_cache, name="dispatch")
class FollowView(View):
    """Follow a call's notes as they are typed, read-only, for anyone."""

    template_name = "agenda/notebook_follow.html"

    def get(self, request, *args, **kwargs):
        meeting = meeting_or_404(kwargs["series"], kwargs["date_key"])
        if meeting.is_cancelled:
            raise Http404("This call was cancelled.")
        texts = live.live_texts(meeting)
        items = notebook_items(meeting)
        actions = notebook_actions(meeting)
        return render(
            request,
            self.template_name,
            {
                "meeting": meeting,
                "texts": texts,
                "items": [
                    (item, texts.get(f"item:{item.pk}:notes", "")) for item in items
                ],
                "actions": [
                    (action, texts.get(f"action:{action.pk}:text", ""))
                    for action in actions
                ],
            },
        )
