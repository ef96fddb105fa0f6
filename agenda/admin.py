from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from markdownx.admin import MarkdownxModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from agenda.models import ActionItem, AgendaItem
from agenda.services import (
    DECLINE_REASON_REQUIRED,
    FinalizeError,
    FinalizeResult,
    accept_agenda_item,
    agenda_budget,
    apply_action_item_status,
    current_meeting_of,
    decline_agenda_item,
    defer_agenda_item,
    diff_versions,
    finalize_meeting,
    meeting_versions,
    move_agenda_item,
    reorder_agenda,
    restore_meeting_version,
    return_agenda_item_to_proposed,
    take_from_backlog,
)
from meetings.admin import (
    MARKDOWNX_OVERRIDES,
    MeetingAdmin,
    MeetingPartInline,
    NoRevertHistoryMixin,
)
from meetings.models import Meeting
from meetings.services import (
    MeetingError,
    bump_version,
    can_edit_meeting,
    check_in_refusal,
    check_in_window,
    following_meeting,
    format_moment,
    release_teams_in_progress,
)


class AgendaItemForm(forms.ModelForm):
    """An agenda item; a decline always comes with its reason."""

    # No Meta: the admin builds it with the fields of each page.

    def clean(self):
        cleaned_data = super().clean()
        status = cleaned_data.get("status")
        if (
            status == AgendaItem.Status.DECLINED
            and not (cleaned_data.get("decline_reason") or "").strip()
        ):
            self.add_error(
                "decline_reason",
                ValidationError(DECLINE_REASON_REQUIRED, code="reason_required"),
            )
        meeting = cleaned_data.get("meeting")
        if (
            meeting is not None
            and meeting.is_finalized
            and meeting.pk != self.instance.meeting_id
        ):
            self.add_error(
                "meeting",
                ValidationError(
                    "That call's notes are finalized: pick another call.",
                    code="meeting_locked",
                ),
            )
        return cleaned_data


@admin.register(AgendaItem)
class AgendaItemAdmin(NoRevertHistoryMixin, SimpleHistoryAdmin, MarkdownxModelAdmin):
    form = AgendaItemForm
    list_display = [
        "title",
        "meeting",
        "status",
        "arrived_late",
        "position",
        "requested_minutes",
        "presented_by",
        "proposer_name",
    ]
    list_filter = ["status", "arrived_late", "series"]
    search_fields = [
        "title",
        "description",
        "discussion_notes",
        "proposer_name",
        "proposer_handle",
        "presenter_names",
    ]
    autocomplete_fields = ["presenters"]
    raw_id_fields = ["meeting"]
    list_select_related = ["meeting__series"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("presenters")

    @admin.display(description="presenters")
    def presented_by(self, obj):
        # Co-presenters all: linked people and names as written that match none.
        return ", ".join(
            person.display_name if person else name
            for person, name in obj.presenter_entries
        )

    def has_change_permission(self, request, obj=None):
        locked = obj is not None and obj.meeting_id and obj.meeting.is_finalized
        return super().has_change_permission(request, obj) and not locked

    def has_delete_permission(self, request, obj=None):
        locked = obj is not None and obj.meeting_id and obj.meeting.is_finalized
        return super().has_delete_permission(request, obj) and not locked

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # The item shows on its meeting's page: an open edit form there is stale.
        meetings = {obj.meeting_id, form.initial.get("meeting")} - {None}
        for meeting in Meeting.objects.filter(pk__in=meetings):
            if not meeting.is_finalized:
                bump_version(
                    meeting=meeting,
                    user=request.user,
                    reason=f"Changed agenda item “{obj.title}”",
                )


@admin.register(ActionItem)
class ActionItemAdmin(NoRevertHistoryMixin, SimpleHistoryAdmin):
    list_display = ["description", "meeting", "status", "due_date", "closed_in"]
    list_filter = ["status", "meeting__series"]
    search_fields = [
        "description",
        "owner_names",
        "owners__display_name",
        "owners__github_handle",
    ]
    autocomplete_fields = ["owners"]
    raw_id_fields = ["meeting", "agenda_item", "closed_in"]
    list_select_related = ["meeting__series", "closed_in__series"]

    def save_model(self, request, obj, form, change):
        # Closed outside a meeting's page: at the series' latest call.
        apply_action_item_status(item=obj, meeting=current_meeting_of(obj))
        super().save_model(request, obj, form, change)


# The Agenda page: proposals per page, and rows of the other lists shown.
PROPOSALS_PER_PAGE = 25
LIST_ROWS_SHOWN = 50
# The meeting's page: proposed and declined items shown (the first, in order).
INLINE_WAITING_SHOWN = 50


class AgendaItemInline(MeetingPartInline, admin.StackedInline):
    model = AgendaItem
    form = AgendaItemForm
    extra = 0
    autocomplete_fields = ["presenters"]
    formfield_overrides = MARKDOWNX_OVERRIDES
    fields = [
        ("title", "status", "position", "requested_minutes"),
        "presenters",
        "presenter_names",
        "description",
        "discussion_notes",
        "links",
        ("proposer_name", "proposer_handle", "proposer_email"),
        "decline_reason",
    ]

    def get_queryset(self, request):
        # Proposals and declined items are sorted on the Agenda page; the notebook
        # shows the first of them only, so a flood of proposals cannot make the
        # page too big to load.
        waiting = [AgendaItem.Status.PROPOSED, AgendaItem.Status.DECLINED]
        first_waiting = (
            AgendaItem.objects.filter(meeting=OuterRef("meeting"), status__in=waiting)
            .order_by("position", "pk")
            .values("pk")[:INLINE_WAITING_SHOWN]
        )
        return (
            super()
            .get_queryset(request)
            .filter(~Q(status__in=waiting) | Q(pk__in=Subquery(first_waiting)))
            .prefetch_related("presenters")
        )


class ActionItemInline(MeetingPartInline, admin.TabularInline):
    model = ActionItem
    fk_name = "meeting"
    extra = 1
    autocomplete_fields = ["owners"]
    fields = ["description", "owners", "owner_names", "due_date", "status", "closed_in"]
    readonly_fields = ["closed_in"]
    verbose_name_plural = "action items raised at this call"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("closed_in__series")
            .prefetch_related("owners")
        )


class CarriedOverFormSet(forms.BaseModelFormSet):
    """The open action items of earlier calls, shown on the meeting they reach.

    A model formset built by the admin like an inline one; its rows come from
    `ActionItem.objects.carried_over_to(meeting)`, not from a foreign key.
    """

    def __init__(
        self,
        data=None,
        files=None,
        instance=None,
        save_as_new=False,
        prefix=None,
        queryset=None,
        **kwargs,
    ):
        self.instance = instance
        if instance is not None and instance.pk:
            queryset = (
                ActionItem.objects.carried_over_to(instance)
                .select_related("meeting__series")
                .prefetch_related("owners")
                .order_by("meeting__start", "position", "pk")
            )
        else:
            queryset = ActionItem.objects.none()
        super().__init__(data, files, prefix=prefix, queryset=queryset, **kwargs)

    @classmethod
    def get_default_prefix(cls):
        return "carried_over"


class CarriedOverActionInline(MeetingPartInline, admin.TabularInline):
    model = ActionItem
    fk_name = "meeting"  # for the admin's checks; the rows are not by foreign key
    formset = CarriedOverFormSet
    fields = ["description", "raised_at", "owner_list", "due_date", "status"]
    readonly_fields = ["description", "raised_at", "owner_list"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name = "open action item"
    verbose_name_plural = "open action items from earlier calls"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.fk = None
        return formset

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="raised at")
    def raised_at(self, obj):
        return obj.meeting.date_key

    @admin.display(description="owners")
    def owner_list(self, obj):
        names = [str(person) for person in obj.owners.all()]
        return ", ".join(names) or obj.owner_names or "—"


# The meeting page is the MC's notebook, so it carries the agenda and action items.
# They are added here because meetings must not import agenda (imports point one way).
admin.site.unregister(Meeting)

MODERATION_ACTIONS = {
    "accept": lambda item, user, post: accept_agenda_item(item=item, user=user),
    "decline": lambda item, user, post: decline_agenda_item(
        item=item, user=user, reason=post.get("reason", "")
    ),
    "defer_next": lambda item, user, post: defer_agenda_item(item=item, user=user),
    "defer_backlog": lambda item, user, post: defer_agenda_item(
        item=item, user=user, to_backlog=True
    ),
    "propose": lambda item, user, post: return_agenda_item_to_proposed(
        item=item, user=user
    ),
    "up": lambda item, user, post: move_agenda_item(item=item, user=user, offset=-1),
    "down": lambda item, user, post: move_agenda_item(item=item, user=user, offset=1),
}
MODERATION_DONE = {
    "accept": "Accepted “{}”.",
    "decline": "Declined “{}”.",
    "defer_next": "Deferred “{}” to the next call.",
    "defer_backlog": "Deferred “{}” to the series backlog.",
    "propose": "“{}” is a proposal again.",
    "up": "Moved “{}” up.",
    "down": "Moved “{}” down.",
    "take": "Put “{}” on this call's agenda.",
}


@admin.register(Meeting)
class MeetingNotebookAdmin(MeetingAdmin):
    inlines = [
        *MeetingAdmin.inlines,
        AgendaItemInline,
        ActionItemInline,
        CarriedOverActionInline,
    ]

    def save_formset(self, request, form, formset, change):
        if formset.model is not ActionItem:
            super().save_formset(request, form, formset, change)
            return
        # Closing an action item records the call where it was closed.
        for item in formset.save(commit=False):
            apply_action_item_status(item=item, meeting=form.instance)
            item.save()
        for item in formset.deleted_objects:
            item.delete()
        formset.save_m2m()

    def notebook_context(self, request, meeting):
        context = super().notebook_context(request, meeting)
        opens, closes = check_in_window(meeting)
        check_in_url = request.build_absolute_uri(
            reverse(
                "checkin:checkin",
                kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
            )
        )
        context.update(
            budget=agenda_budget(meeting=meeting),
            proposed_count=AgendaItem.objects.for_meeting(meeting).proposed().count(),
            check_in_url=check_in_url,
            check_in_opens=format_moment(meeting, opens),
            check_in_closes=format_moment(meeting, closes),
            check_in_refusal=check_in_refusal(meeting=meeting),
            release_teams_in_progress=release_teams_in_progress(meeting=meeting),
            next_meeting=following_meeting(meeting=meeting),
            can_finalize=not meeting.is_finalized and context["can_edit_meeting"],
        )
        return context

    def response_change(self, request, obj):
        if "_finalize" not in request.POST:
            return super().response_change(request, obj)
        try:
            result = finalize_meeting(meeting=obj, user=request.user)
        except FinalizeError as error:
            self.message_user(
                request,
                format_html(
                    "Your changes were saved, but {}<ul>{}</ul>",
                    error.message[:1].lower() + error.message[1:],
                    format_html_join("", "<li>{}</li>", ((p,) for p in error.problems)),
                ),
                messages.ERROR,
            )
        else:
            self.message_user(request, self.finalized_message(result), messages.SUCCESS)
        return HttpResponseRedirect(self.change_url(obj))

    def finalized_message(self, result: FinalizeResult):
        if result.already_finalized:
            return "These notes were finalized already: nothing changed."
        next_meeting = result.next_meeting
        parts = [
            format_html(
                "Notes finalized and locked. Next call: {} ({}), MC: {}.",
                next_meeting.date_key,
                "created" if result.next_created else "already scheduled",
                next_meeting.mc or "not set yet",
            ),
            format_html(
                "Open action items carried over: {}. Deferred agenda items moved "
                "onto it: {}.",
                len(result.carried_over),
                len(result.moved_items),
            ),
        ]
        if result.release_teams:
            parts.append(
                format_html(
                    "Release teams at work: {}.",
                    ", ".join(
                        f"{team.version} (lead {team.lead or 'to be found'}"
                        + (f", planned {day}" if (day := team.planned_date) else "")
                        + ")"
                        for team in result.release_teams
                    ),
                )
            )
        parts += [format_html("{}", note) for note in result.notes]
        return format_html_join(" ", "{}", ((part,) for part in parts))

    # Extra pages ---------------------------------------------------------------------

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/agenda/",
                wrap(self.moderation_view),
                name=f"{info}_agenda",
            ),
            path(
                "<path:object_id>/versions/",
                wrap(self.versions_view),
                name=f"{info}_versions",
            ),
            path(
                "<path:object_id>/versions/compare/",
                wrap(self.compare_view),
                name=f"{info}_compare",
            ),
            path(
                "<path:object_id>/versions/<int:history_id>/restore/",
                wrap(self.restore_view),
                name=f"{info}_restore",
            ),
            *super().get_urls(),
        ]

    def moderation_view(self, request, object_id):
        """Sort the proposals: accept, decline, defer, order; minutes vs length."""
        meeting = self.get_meeting_or_403(request, object_id)
        url = reverse("admin:meetings_meeting_agenda", args=[meeting.pk])
        if request.method == "POST":
            return self.moderate(request, meeting, url)
        # A call can draw hundreds of proposals (or a script thousands): they are
        # paged, and the other lists show their first rows and a count, so the
        # page's cost does not grow with them.
        items = AgendaItem.objects.for_meeting(meeting).order_by("position", "pk")
        proposed = Paginator(
            items.filter(status=AgendaItem.Status.PROPOSED).prefetch_related(
                "presenters"
            ),
            PROPOSALS_PER_PAGE,
        ).get_page(request.GET.get("page"))
        accepted = list(
            items.filter(status=AgendaItem.Status.ACCEPTED).prefetch_related(
                "presenters"
            )
        )
        running, elapsed = [], 0
        for item in accepted:
            elapsed += item.requested_minutes
            running.append((item, elapsed, elapsed > meeting.length))
        others = items.exclude(
            status__in=[AgendaItem.Status.PROPOSED, AgendaItem.Status.ACCEPTED]
        )
        backlog = AgendaItem.objects.backlog(meeting.series).order_by(
            "created_at", "pk"
        )
        if proposed.number > 1:
            url += f"?page={proposed.number}"
        context = {
            **self.page_context(request, meeting, "Agenda: sort the proposals"),
            "proposed": proposed,
            "accepted": running,
            "others": list(others[:LIST_ROWS_SHOWN]),
            "others_count": others.count(),
            "backlog": list(backlog[:LIST_ROWS_SHOWN]),
            "backlog_count": backlog.count(),
            "rows_shown": LIST_ROWS_SHOWN,
            "budget": agenda_budget(meeting=meeting),
            "is_locked": meeting.is_finalized,
            "moderation_url": url,
        }
        return TemplateResponse(request, "admin/meetings/meeting/agenda.html", context)

    def moderate(self, request, meeting, url):
        page = request.GET.get("page", "")
        if page.isdigit():  # back to the page of proposals the MC was on
            url += f"?page={page}"
        action = request.POST.get("action", "")
        try:
            if action == "reorder":
                ids = [int(pk) for pk in request.POST.getlist("order") if pk.isdigit()]
                reorder_agenda(meeting=meeting, user=request.user, item_ids=ids)
                self.message_user(request, "Agenda reordered.", messages.SUCCESS)
                return HttpResponseRedirect(url + "#accepted")
            item_id = request.POST.get("item", "")
            if action == "take":
                item = get_object_or_404(
                    AgendaItem, pk=item_id, series=meeting.series, meeting=None
                )
                take_from_backlog(item=item, meeting=meeting, user=request.user)
            elif action in MODERATION_ACTIONS:
                item = get_object_or_404(AgendaItem, pk=item_id, meeting=meeting)
                MODERATION_ACTIONS[action](item, request.user, request.POST)
            else:
                self.message_user(request, "Unknown action.", messages.ERROR)
                return HttpResponseRedirect(url)
        except MeetingError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(url)
        self.message_user(
            request, MODERATION_DONE[action].format(item.title), messages.SUCCESS
        )
        anchor = "#accepted" if action in {"accept", "up", "down", "take"} else ""
        return HttpResponseRedirect(url + anchor)

    def versions_view(self, request, object_id):
        """Every saved version of the page; pick two to compare, or restore one."""
        meeting = self.get_meeting_or_403(request, object_id, edit=False)
        versions = meeting_versions(meeting=meeting)
        context = {
            **self.page_context(request, meeting, "Versions of the notes"),
            "versions": versions,
            "can_restore": can_restore(request, meeting),
            "compare_url": reverse("admin:meetings_meeting_compare", args=[meeting.pk]),
        }
        return TemplateResponse(
            request, "admin/meetings/meeting/versions.html", context
        )

    def compare_view(self, request, object_id):
        """The line diff of the notes between two versions (escaped text)."""
        meeting = self.get_meeting_or_403(request, object_id, edit=False)
        records = meeting.history.all()
        latest = records.order_by("-history_date", "-history_id").first()
        old_id = request.GET.get("old", "")
        new_id = request.GET.get("new", "")
        new = records.filter(history_id=new_id).first() if new_id.isdigit() else latest
        old = records.filter(history_id=old_id).first() if old_id.isdigit() else None
        if old is None and new is not None:
            old = (
                records.filter(history_date__lt=new.history_date)
                .order_by("-history_date", "-history_id")
                .first()
            ) or new
        if old is None or new is None:
            raise PermissionDenied("Pick two versions of this meeting.")
        if (old.history_date, old.history_id) > (new.history_date, new.history_id):
            old, new = new, old
        context = {
            **self.page_context(
                request,
                meeting,
                f"Changes from version {old.version} to version {new.version}",
            ),
            "old": old,
            "new": new,
            "old_when": format_moment(meeting, old.history_date),
            "new_when": format_moment(meeting, new.history_date),
            "lines": diff_versions(old=old, new=new),
            "can_restore": can_restore(request, meeting),
            "versions_url": reverse(
                "admin:meetings_meeting_versions", args=[meeting.pk]
            ),
        }
        return TemplateResponse(request, "admin/meetings/meeting/compare.html", context)

    def restore_view(self, request, object_id, history_id):
        """POST only: bring back an older version's notes as a new version."""
        meeting = self.get_meeting_or_403(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(
                reverse("admin:meetings_meeting_versions", args=[meeting.pk])
            )
        try:
            expected = int(request.POST.get("expected_version", ""))
        except ValueError:
            expected = -1
        try:
            restored = restore_meeting_version(
                meeting=meeting,
                history_id=history_id,
                user=request.user,
                expected_version=expected,
            )
        except MeetingError as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(
                reverse("admin:meetings_meeting_versions", args=[meeting.pk])
            )
        self.message_user(
            request,
            f"Restored: the notes are now at version {restored.version}.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self.change_url(meeting))


def can_restore(request, meeting) -> bool:
    return not meeting.is_finalized and can_edit_meeting(request.user, meeting)


import agenda.notes.admin  # noqa: E402, F401 - the notes upload page
