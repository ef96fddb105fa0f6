from django.contrib import admin
from django.db.models import Count
from django.db.models.functions import Lower

from people.models import Alias, Attendee


class AliasInline(admin.TabularInline):
    model = Alias
    extra = 1


@admin.register(Attendee)
class AttendeeAdmin(admin.ModelAdmin):
    list_display = ["display_name", "github_handle", "affiliation", "meeting_count"]
    list_filter = ["affiliation"]
    search_fields = ["display_name", "github_handle", "aliases__name", "affiliation"]
    # The account comes from signing in with GitHub, never picked by hand; roles
    # are given by handle on the Roles page.
    readonly_fields = ["github_id", "user"]
    inlines = [AliasInline]

    def get_queryset(self, request):
        # GROUP BY drops the model's default ordering; the autocomplete paginates.
        return (
            super()
            .get_queryset(request)
            .annotate(n_meetings=Count("attendances"))
            .order_by(Lower("display_name"), "pk")
        )

    @admin.display(description="calls joined", ordering="n_meetings")
    def meeting_count(self, obj):
        return obj.n_meetings


@admin.register(Alias)
class AliasAdmin(admin.ModelAdmin):
    list_display = ["name", "attendee"]
    search_fields = ["name", "attendee__display_name", "attendee__github_handle"]
    autocomplete_fields = ["attendee"]
    list_select_related = ["attendee"]
