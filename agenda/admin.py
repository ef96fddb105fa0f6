from django.contrib import admin
from markdownx.admin import MarkdownxModelAdmin
from simple_history.admin import SimpleHistoryAdmin

from agenda.models import ActionItem, AgendaItem
from meetings.admin import MARKDOWNX_OVERRIDES, MeetingAdmin
from meetings.models import Meeting


@admin.register(AgendaItem)
class AgendaItemAdmin(SimpleHistoryAdmin, MarkdownxModelAdmin):
    list_display = ["title", "meeting", "status", "position", "requested_minutes",
                    "proposer_name"]  # fmt: skip
    list_filter = ["status", "series"]
    search_fields = ["title", "description", "discussion_notes", "proposer_name",
                     "proposer_handle", "presenter_names"]  # fmt: skip
    autocomplete_fields = ["presenters"]
    raw_id_fields = ["meeting"]
    list_select_related = ["meeting__series"]
    date_hierarchy = "created_at"


@admin.register(ActionItem)
class ActionItemAdmin(SimpleHistoryAdmin):
    list_display = ["description", "meeting", "status", "due_date", "closed_in"]
    list_filter = ["status", "meeting__series"]
    search_fields = ["description", "owner_names", "owners__display_name",
                     "owners__github_handle"]  # fmt: skip
    autocomplete_fields = ["owners"]
    raw_id_fields = ["meeting", "agenda_item", "closed_in"]
    list_select_related = ["meeting__series", "closed_in__series"]


class AgendaItemInline(admin.StackedInline):
    model = AgendaItem
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


class ActionItemInline(admin.TabularInline):
    model = ActionItem
    fk_name = "meeting"
    extra = 1
    autocomplete_fields = ["owners"]
    fields = ["description", "owners", "status", "due_date", "closed_in"]
    raw_id_fields = ["closed_in"]


# The meeting page is the MC's notebook, so it carries the agenda and action items.
# They are added here because meetings must not import agenda (imports point one way).
admin.site.unregister(Meeting)


@admin.register(Meeting)
class MeetingNotebookAdmin(MeetingAdmin):
    inlines = [*MeetingAdmin.inlines, AgendaItemInline, ActionItemInline]


import agenda.notes_admin  # noqa: E402, F401 - the notes upload page
