from django.contrib import admin
from markdownx.admin import MarkdownxModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from agenda.forms import AgendaItemForm
from agenda.models import ActionItem, AgendaItem
from agenda.services import apply_action_item_status, current_meeting_of
from meetings.admin import NoRevertHistoryMixin
from meetings.models import Meeting
from meetings.services import bump_version


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
