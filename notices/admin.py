from django.contrib import admin, messages
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from notices.models import Notice, Preference, SeriesChannels
from notices.services import confirm_address, resend_notices


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    """The outbox: what was sent, what waits, what failed and why; resend."""

    list_display = [
        "kind",
        "address",
        "object_key",
        "status",
        "attempts",
        "due_at",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["address", "object_key", "subject"]
    date_hierarchy = "due_at"
    actions = ["resend"]
    readonly_fields = [
        "kind",
        "channel",
        "object_key",
        "occurrence",
        "address",
        "is_list",
        "context",
        "status",
        "due_at",
        "attempts",
        "lease_until",
        "claimed_by",
        "last_error",
        "sent_at",
        "subject",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        # The detail page is for reading; the resend action needs the change right.
        return request.user.has_perm("notices.change_notice") and obj is None

    @admin.display(description=_("last error"))
    def short_error(self, obj):
        return Truncator(obj.last_error).chars(80)

    @admin.action(
        description=_("Send the selected notices again"), permissions=["change"]
    )
    def resend(self, request, queryset):
        count = resend_notices(notices=queryset, now=timezone.now())
        self.message_user(
            request,
            _("%(count)d notices will be sent again.") % {"count": count},
            messages.SUCCESS,
        )


@admin.register(SeriesChannels)
class SeriesChannelsAdmin(admin.ModelAdmin):
    list_display = ["series", "list_address", "webhook_url"]
    autocomplete_fields = ["series"]
    search_fields = ["series__title", "list_address"]


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_filter = [
        "proposals",
        "mc",
        "actions",
        ("confirmed_at", admin.EmptyFieldListFilter),
    ]
    list_display = [
        "email",
        "attendee",
        "confirmed_at",
        "proposals",
        "mc",
        "actions",
        "updated_at",
    ]
    search_fields = ["email", "attendee__display_name", "attendee__github_handle"]
    autocomplete_fields = ["attendee"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if obj.is_confirmed:
            # Notices held while the address waited go out now.
            confirm_address(email=obj.email, now=obj.confirmed_at)
