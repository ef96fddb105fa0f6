"""The notebook page of one call, /calls/<series>/<date>/notebook/.

One screen that follows the call top to bottom. Without JavaScript it is one form:
every button (save, preview or add who joined, finalize) first saves what was typed,
merged field by field with what others saved meanwhile (`save_notebook`).
"""

import secrets
from dataclasses import dataclass

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from agenda.models import ActionItem, AgendaItem
from agenda.notebook import live
from agenda.notebook.consumers import (
    SYNC_UPDATE,
    follow_group_name,
    group_name,
    sync_message,
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
from agenda.services import (
    FinalizeError,
    agenda_budget,
    finalize_meeting,
    finalize_problems,
)
from meetings.models import Attendance, CheckIn, Meeting
from meetings.services import (
    MeetingError,
    can_edit_meeting,
    can_view_meeting,
    check_in_window,
    confirm_check_ins,
    format_moment,
    plan_attendance,
    record_attendance,
)
from meetings.views import meeting_or_404
from people.models import Attendee

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
            "notebook:notebook",
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


def broadcast(meeting_id: int, event: dict, *, followers: bool = False) -> None:
    """Tell the call's open notebooks (and followers) once the transaction commits."""
    layer = get_channel_layer()
    if layer is None:
        return

    def send():
        async_to_sync(layer.group_send)(group_name(meeting_id), event)
        if followers:
            async_to_sync(layer.group_send)(follow_group_name(meeting_id), event)

    transaction.on_commit(send)


def broadcast_update(meeting_id: int, update: bytes | None) -> None:
    if update:
        broadcast(
            meeting_id,
            {"type": "relay", "data": sync_message(SYNC_UPDATE, update), "sender": ""},
        )


def is_live_text(key: str) -> bool:
    return key in ("highlights", "notes") or key.endswith((":notes", ":text"))


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
            messages.error(request, error.message)
            return HttpResponseRedirect(notebook_url(self.meeting))
        self.meeting = result.meeting
        if result.conflicts or result.problems:
            # Give the page back with what was typed; nothing else is done.
            return self.render_page(result=result, submitted=submitted, status=409)
        if result.saved:
            messages.success(request, self.saved_message(result))
            texts = {
                key: submitted[key].replace("\r\n", "\n")
                for key in result.saved
                if is_live_text(key) and key in submitted
            }
            if self.live and texts:
                broadcast_update(
                    self.meeting.pk,
                    live.set_texts(meeting_id=self.meeting.pk, texts=texts),
                )
            if any(not is_live_text(key) for key in result.saved):
                broadcast(self.meeting.pk, {"type": "notebook.changed", "what": "form"})
        if "_finalize" in post:
            return self.finalize()
        if "_confirm_check_ins" in post:
            return self.confirm_check_ins(post.getlist("confirm_check_in"))
        if "_preview_attendance" in post or "_add_attendance" in post:
            return self.attendance(post.get("attendance_text", "")[:PASTE_LIMIT])
        return HttpResponseRedirect(notebook_url(self.meeting, post.get("_anchor", "")))

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
        self, *, result=None, submitted=None, attendance_text="", plan=None, status=200
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
            "starts_at": format_moment(meeting, meeting.start),
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
