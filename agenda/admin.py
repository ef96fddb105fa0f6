from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from markdownx.admin import MarkdownxModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from agenda.forms import AgendaItemForm, DeclineForm
from agenda.models import ActionItem, AgendaItem
from agenda.services import (
    accept_agenda_item,
    announce_status_change,
    apply_action_item_status,
    current_meeting_of,
    decline_agenda_item,
    defer_agenda_item,
)
from meetings.admin import NoRevertHistoryMixin
from meetings.models import Meeting
from meetings.services import MeetingError, bump_version


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
    actions = ["accept", "decline", "defer_next"]

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
        if change:
            # A decision made here reaches the proposer as from the Agenda page.
            announce_status_change(
                item=obj,
                previous_status=form.initial.get("status", obj.status),
                previous_meeting=Meeting.objects.filter(
                    pk=form.initial.get("meeting")
                ).first(),
            )

    @admin.action(description=_("Accept the selected proposals"))
    def accept(self, request, queryset):
        self._moderate(
            request, queryset, accept_agenda_item, _("Accepted %(count)d items.")
        )

    @admin.action(description=_("Defer the selected items to their series' next call"))
    def defer_next(self, request, queryset):
        self._moderate(
            request,
            queryset,
            defer_agenda_item,
            _("Deferred %(count)d items to the next call."),
        )

    @admin.action(description=_("Decline the selected proposals, with a reason"))
    def decline(self, request, queryset):
        form = DeclineForm(request.POST if "reason" in request.POST else None)
        if form.is_bound and form.is_valid():
            reason = form.cleaned_data["reason"]
            self._moderate(
                request,
                queryset,
                lambda *, item, user: decline_agenda_item(
                    item=item, user=user, reason=reason
                ),
                _("Declined %(count)d items."),
            )
            return None
        # Ask for the reason the proposers will read, then come back here.
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Decline with a reason"),
            "items": queryset,
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/agenda/agendaitem/decline.html", context
        )

    def _moderate(self, request, queryset, service, done):
        """Each item through the moderation service of the Agenda page, so the
        proposer hears the same notice; refusals are reported per item."""
        count = 0
        for item in queryset.select_related("meeting__series"):
            try:
                service(item=item, user=request.user)
            except MeetingError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                count += 1
        if count:
            self.message_user(request, done % {"count": count}, messages.SUCCESS)


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
