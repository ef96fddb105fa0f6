from django.contrib import admin
from markdownx.admin import MarkdownxModelAdmin
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from simple_history.admin import SimpleHistoryAdmin

from meetings.models import (
    Attendance,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
)

MARKDOWNX_OVERRIDES = {MarkdownxField: {"widget": AdminMarkdownxWidget}}


@admin.register(MeetingSeries)
class MeetingSeriesAdmin(MarkdownxModelAdmin):
    list_display = [
        "title",
        "slug",
        "weekday",
        "start_time",
        "time_zone",
        "interval_weeks",
    ]
    list_filter = ["weekday", "time_zone"]
    search_fields = ["title", "slug", "description"]
    prepopulated_fields = {"slug": ["title"]}


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 1
    autocomplete_fields = ["attendee"]
    fields = ["attendee", "role", "first_time", "position"]


@admin.register(Meeting)
class MeetingAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "series", "start", "status", "mc", "attendee_count"]
    list_filter = ["status", "series"]
    search_fields = [
        "title",
        "highlights",
        "notes",
        "series__title",
        "mc__display_name",
    ]
    date_hierarchy = "start"
    autocomplete_fields = ["mc", "next_mc"]
    list_select_related = ["series", "mc"]
    readonly_fields = ["date", "version", "finalized_at", "finalized_by",
                       "source_file", "source_lines", "source_hash"]  # fmt: skip
    formfield_overrides = MARKDOWNX_OVERRIDES
    inlines = [AttendanceInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "series",
                    "start",
                    "ordinal",
                    "title",
                    "length_minutes",
                    "status",
                    "mc",
                ]
            },
        ),  # fmt: skip
        ("Links", {"fields": ["info_url", "video_url", "recording_url"]}),
        ("Notes", {"fields": ["highlights", "notes"]}),
        ("Closing", {"fields": ["next_mc", "next_release"]}),
        (
            "Record",
            {
                "classes": ["collapse"],
                "fields": [
                    "date",
                    "version",
                    "finalized_at",
                    "finalized_by",
                    "source_file",
                    "source_lines",
                    "source_hash",
                ],
            },
        ),  # fmt: skip
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description="who joined", ordering="attendee_count")
    def attendee_count(self, obj):
        return obj.attendee_count


@admin.register(ReleaseTeam)
class ReleaseTeamAdmin(MarkdownxModelAdmin):
    list_display = ["version", "lead", "planned_date", "released_on", "meeting"]
    list_filter = ["released_on"]
    search_fields = ["version", "lead__display_name", "members__display_name", "notes"]
    autocomplete_fields = ["lead", "members"]
    raw_id_fields = ["meeting"]
    list_select_related = ["lead", "meeting__series"]
    date_hierarchy = "planned_date"


@admin.register(GitHubReference)
class GitHubReferenceAdmin(admin.ModelAdmin):
    list_display = ["__str__", "meeting"]
    list_filter = ["owner", "repo"]
    search_fields = ["owner", "repo", "=number"]
    raw_id_fields = ["meeting"]
    list_select_related = ["meeting__series"]
