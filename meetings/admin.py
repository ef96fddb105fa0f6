import hashlib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Lower
from django.http import HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from markdownx.admin import MarkdownxModelAdmin
from markdownx.models import MarkdownxField
from markdownx.widgets import AdminMarkdownxWidget
from simple_history.admin import SimpleHistoryAdmin

from agenda.forms import AgendaItemForm
from agenda.models import ActionItem, AgendaItem
from agenda.notebook.consumers import broadcast_changed
from agenda.notes.admin import PERMISSION as IMPORT_NOTES_PERMISSION
from agenda.notes.admin import import_notes_view
from agenda.services import (
    FinalizeError,
    FinalizeResult,
    accept_agenda_item,
    agenda_budget,
    announce_status_change,
    apply_action_item_status,
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
from meetings.models import (
    Attendance,
    CheckIn,
    GitHubReference,
    Meeting,
    MeetingSeries,
    ReleaseTeam,
    RoleChange,
    RoleGrant,
)
from meetings.roles import (
    GRANTABLE,
    MC,
    RoleError,
    grant_role,
    maintainer_restriction,
    remove_role,
)
from meetings.services import (
    EditConflict,
    MeetingError,
    MeetingLocked,
    can_edit_meeting,
    can_view_meeting,
    check_in_refusal,
    check_in_window,
    check_version,
    confirm_check_ins,
    plan_attendance,
    record_attendance,
    reopen_meeting,
    runs_meeting,
    save_meeting,
)
from people.models import Attendee

MARKDOWNX_OVERRIDES = {MarkdownxField: {"widget": AdminMarkdownxWidget}}

# Set on a POST to a meeting's change page: a finalized meeting's form is then
# built editable, so that the refusal comes back with what the person typed.
KEEP_TYPED_TEXT = "_callbook_keep_typed_text"


class NoRevertHistoryMixin:
    """simple-history's history pages, without its revert form.

    Its revert saves past the edit-conflict check and the lock on finalized notes;
    meetings have their own restore (a new version), other objects none.
    """

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Reverting from the history page is turned off.")
        return super().history_form_view(request, object_id, version_id, extra_context)


def meeting_is_editable(request, meeting: Meeting) -> bool:
    """May this request change the meeting's page (rights, and the lock)?"""
    if not can_edit_meeting(request.user, meeting):
        return False
    return not meeting.is_finalized or getattr(request, KEEP_TYPED_TEXT, False)


class MeetingPartInline:
    """Rows that belong to the meeting's page: whoever may edit it edits them.

    No model permission on the rows is needed, so an MC changes the agenda,
    attendance and action items of their call and of no other.
    """

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm("meetings.view_meeting") or (
                request.user.has_perm("meetings.change_meeting")
            )
        return can_view_meeting(request.user, obj)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm("meetings.change_meeting")
        return meeting_is_editable(request, obj)

    def has_add_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj)


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


class AttendanceInline(MeetingPartInline, admin.TabularInline):
    model = Attendance
    extra = 1
    autocomplete_fields = ["attendee"]
    fields = ["attendee", "role", "first_time", "position", "written_as"]


class ReleaseTeamInline(MeetingPartInline, admin.StackedInline):
    model = ReleaseTeam
    extra = 0
    autocomplete_fields = ["lead", "members"]
    formfield_overrides = MARKDOWNX_OVERRIDES
    fields = [("version", "planned_date", "released_on"), ("lead", "members"), "notes"]
    verbose_name_plural = _("release teams formed at this call")


class MeetingForm(forms.ModelForm):
    """The meeting's page, carrying the version it was loaded at."""

    loaded_version = forms.IntegerField(
        widget=forms.HiddenInput, required=False, label=_("loaded version")
    )

    # No Meta: the admin builds it with the fields the person may edit.

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "loaded_version" in self.fields and self.instance.pk:
            self.fields["loaded_version"].initial = self.instance.version
            self.fields["loaded_version"].required = True
        if "status" in self.fields:
            # Finalizing has its own button and checks; the form never does it.
            self.fields["status"].choices = [
                choice
                for choice in self.fields["status"].choices
                if choice[0] != Meeting.Status.FINALIZED
            ]

    def clean(self):
        cleaned_data = super().clean()
        if self.instance.pk and "loaded_version" in self.fields:
            try:
                check_version(
                    meeting=self.instance,
                    loaded_version=cleaned_data.get("loaded_version"),
                )
            except EditConflict as conflict:
                # Saving again means "keep mine": the person has been told.
                self.data = self.data.copy()
                self.data[self.add_prefix("loaded_version")] = (
                    Meeting.objects.values_list("version", flat=True).get(
                        pk=self.instance.pk
                    )
                )
                raise ValidationError(conflict.message, code=conflict.code) from None
            except MeetingLocked as locked:
                raise ValidationError(locked.message, code=locked.code) from None
        return cleaned_data


class AttendancePasteForm(forms.Form):
    text = forms.CharField(
        label=_("Who joined"),
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80}),
        max_length=20_000,
        help_text=_(
            "One person a line, as in the notes: “- Ada Quill (@adaquill)”, "
            "“@adaquill”, “Ada Quill ([adaquill](https://github.com/adaquill))”."
        ),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Why reopen?"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=90,
        help_text=_("Kept in the meeting's history and the admin log."),
    )


def text_digest(text: str) -> str:
    """Ties a save to the pasted text its preview showed."""
    return hashlib.sha256(text.encode()).hexdigest()


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


def can_restore(request, meeting) -> bool:
    return not meeting.is_finalized and can_edit_meeting(request.user, meeting)


MC_READONLY_FIELDS = ["series", "start", "ordinal", "mc"]


@admin.register(Meeting)
class MeetingAdmin(NoRevertHistoryMixin, SimpleHistoryAdmin):
    form = MeetingForm
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
    readonly_fields = [
        "date",
        "version",
        "finalized_at",
        "finalized_by",
        "source_file",
        "source_lines",
        "source_hash",
    ]
    formfield_overrides = MARKDOWNX_OVERRIDES
    inlines = [
        AttendanceInline,
        AgendaItemInline,
        ActionItemInline,
        CarriedOverActionInline,
    ]
    closing_inlines = [ReleaseTeamInline]
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
        ),
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
        ),
    ]

    # Permissions: model permissions say what a role may do at all; the meeting
    # decides which ones (an MC's own), and finalized notes are read-only.

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return super().has_view_permission(request)
        return can_view_meeting(request.user, obj)

    def has_change_permission(self, request, obj=None):
        if obj is None:
            return super().has_change_permission(request)
        return meeting_is_editable(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is None:
            return super().has_delete_permission(request)
        return (
            super().has_delete_permission(request, obj)
            and request.user.has_perm("meetings.edit_any_meeting")
            and not obj.is_finalized
        )

    def get_inlines(self, request, obj):
        return [*self.inlines, *self.closing_inlines]

    def get_queryset(self, request):
        # Not super(): its ordering would come before the annotation it uses.
        queryset = self.model._default_manager.get_queryset().with_counts()
        if not request.user.has_perm("meetings.edit_any_meeting"):
            # An MC sees their own calls first.
            queryset = queryset.annotate(
                is_mine=Case(
                    When(mc__user_id=request.user.pk, then=Value(1)),
                    default=Value(0),
                    output_field=IntegerField(),
                )
            )
        return queryset.order_by(*self.get_ordering(request))

    def get_ordering(self, request):
        if request.user.has_perm("meetings.edit_any_meeting"):
            return super().get_ordering(request) or Meeting._meta.ordering
        return ["-is_mine", "-start"]

    def get_list_display(self, request):
        if request.user.has_perm("meetings.edit_any_meeting"):
            return self.list_display
        return ["__str__", "is_mine_display", "start", "status", "mc"]

    @admin.display(description="yours", boolean=True, ordering="is_mine")
    def is_mine_display(self, obj):
        return bool(obj.is_mine)

    @admin.display(description="who joined", ordering="attendee_count")
    def attendee_count(self, obj):
        return obj.attendee_count

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("meetings.edit_any_meeting"):
            fields += MC_READONLY_FIELDS
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not self.has_change_permission(request, obj):
            return fieldsets
        first_name, first = fieldsets[0]
        return [
            (first_name, {**first, "fields": [*first["fields"], "loaded_version"]}),
            *fieldsets[1:],
        ]

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if request.method != "POST" or object_id is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        setattr(request, KEEP_TYPED_TEXT, True)
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (EditConflict, MeetingLocked):
            # Another save won the race after this form was validated; that
            # transaction rolled back. Validating again now reports the conflict
            # and gives the form back with what was typed.
            return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if not change:
            super().save_model(request, obj, form, change)
            return
        save_meeting(
            meeting=obj,
            loaded_version=form.cleaned_data["loaded_version"],
            user=request.user,
        )

    def save_formset(self, request, form, formset, change):
        if formset.model is AgendaItem:
            self.save_agenda_rows(formset)
            return
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

    def save_agenda_rows(self, formset):
        # A status picked in a row reaches the proposer as from the Agenda page.
        before = {
            row.instance.pk: row.initial.get("status")
            for row in formset.initial_forms
            if "status" in row.changed_data
        }
        formset.save()
        for item, _fields in formset.changed_objects:
            if item.pk in before:
                announce_status_change(item=item, previous_status=before[item.pk])

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

    def change_view(self, request, object_id, form_url="", extra_context=None):
        meeting = self.get_object(request, object_id)
        context = {}
        if meeting is not None:
            context = self.notebook_context(request, meeting)
        return super().change_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def notebook_context(self, request, meeting):
        """What the meeting page shows beside the form (links, state, budget)."""
        user = request.user
        can_edit = can_edit_meeting(user, meeting)
        opens, closes = check_in_window(meeting)
        check_in_url = request.build_absolute_uri(
            reverse(
                "meetings:checkin",
                kwargs={"series": meeting.series.slug, "date_key": meeting.date_key},
            )
        )
        return {
            "is_locked": meeting.is_finalized,
            "can_edit_meeting": can_edit,
            "can_reopen": meeting.is_finalized
            and user.has_perm("meetings.reopen_meeting")
            and can_view_meeting(user, meeting),
            "runs_meeting": runs_meeting(user, meeting),
            "budget": agenda_budget(meeting=meeting),
            "proposed_count": AgendaItem.objects.for_meeting(meeting)
            .proposed()
            .count(),
            "check_in_url": check_in_url,
            "check_in_opens": meeting.format_moment(opens),
            "check_in_closes": meeting.format_moment(closes),
            "check_in_refusal": check_in_refusal(meeting=meeting),
            "release_teams_in_progress": ReleaseTeam.objects.in_progress(
                series_id=meeting.series_id
            ),
            "next_meeting": meeting.following(),
            "can_finalize": not meeting.is_finalized and can_edit,
        }

    # The MC's extra pages ---------------------------------------------------------

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "import-notes/",
                wrap(self.import_notes_view),
                name=f"{info}_import_notes",
            ),
            path(
                "<path:object_id>/agenda/",
                wrap(self.moderation_view),
                name=f"{info}_agenda",
            ),
            path(
                "<path:object_id>/attendance/",
                wrap(self.attendance_view),
                name=f"{info}_attendance",
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
            path(
                "<path:object_id>/reopen/",
                wrap(self.reopen_view),
                name=f"{info}_reopen",
            ),
            *super().get_urls(),
        ]

    def get_meeting_or_403(self, request, object_id, *, edit=True):
        meeting = get_object_or_404(
            Meeting.objects.select_related("series", "mc", "finalized_by"),
            pk=object_id,
        )
        allowed = can_edit_meeting if edit else can_view_meeting
        if not allowed(request.user, meeting):
            raise PermissionDenied
        return meeting

    def change_url(self, meeting, anchor=""):
        return reverse("admin:meetings_meeting_change", args=[meeting.pk]) + anchor

    def page_context(self, request, meeting, title):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": meeting,
            "title": title,
            "subtitle": str(meeting),
            "change_url": self.change_url(meeting),
        }

    def attendance_view(self, request, object_id):
        """Paste "Who joined" lines, preview who is known and who is new, save."""
        meeting = self.get_meeting_or_403(request, object_id)
        form = AttendancePasteForm(request.POST or None)
        plan = previewed = None
        if request.method == "POST" and form.is_valid():
            text = form.cleaned_data["text"]
            previewed = text_digest(text)
            if "_save" in request.POST:
                if request.POST.get("previewed") != previewed:
                    self.message_user(
                        request,
                        "The list changed since the preview: check it, then save.",
                        messages.WARNING,
                    )
                else:
                    response = self.save_attendance(request, meeting, text)
                    if response:
                        return response
            plan = plan_attendance(meeting=meeting, text=text)
        context = {
            **self.page_context(request, meeting, "Who joined: paste the list"),
            "form": form,
            "plan": plan,
            "previewed": previewed,
            "is_locked": meeting.is_finalized,
        }
        return TemplateResponse(
            request, "admin/meetings/meeting/attendance.html", context
        )

    def save_attendance(self, request, meeting, text):
        try:
            result = record_attendance(meeting=meeting, text=text, user=request.user)
        except MeetingError as error:
            self.message_user(request, error.message, messages.ERROR)
            return None
        self.message_user(
            request,
            f"Added {len(result.added)} people to who joined "
            f"({len(result.created_people)} new); {len(result.skipped)} skipped.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self.change_url(meeting, "#attendances-group"))

    def reopen_view(self, request, object_id):
        """A Maintainer unlocks finalized notes, saying why."""
        meeting = self.get_meeting_or_403(request, object_id, edit=False)
        if not request.user.has_perm("meetings.reopen_meeting"):
            raise PermissionDenied
        form = ReopenForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                reopen_meeting(
                    meeting=meeting,
                    user=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except MeetingError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request, "The notes are reopened for editing.", messages.SUCCESS
                )
            return HttpResponseRedirect(self.change_url(meeting))
        context = {
            **self.page_context(request, meeting, "Reopen the notes"),
            "form": form,
        }
        return TemplateResponse(request, "admin/meetings/meeting/reopen.html", context)

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
                broadcast_changed(meeting.pk, ["agenda"], user=request.user)
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
        # The call's open notebooks show the agenda as it is now.
        broadcast_changed(meeting.pk, ["agenda"], user=request.user)
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
            "old_when": meeting.format_moment(old.history_date),
            "new_when": meeting.format_moment(new.history_date),
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

    def import_notes_view(self, request):
        """Upload markdown notes, read the dry-run report, then import."""
        return import_notes_view(
            request,
            {**self.admin_site.each_context(request), "opts": self.opts},
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            "can_import_notes": request.user.has_perm(IMPORT_NOTES_PERMISSION),
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra_context)


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


@admin.register(CheckIn)
class CheckInAdmin(admin.ModelAdmin):
    """Check-ins from the public "I'm here" page, for the MC to confirm.

    An MC sees and confirms those of the calls they run; Maintainers all of them.
    Confirming lists each person as joined (meetings.services.confirm_check_ins).
    """

    list_display = ["github_handle", "meeting", "verified", "created_at", "attendee"]
    list_filter = ["verified"]
    search_fields = ["github_handle"]
    list_select_related = ["meeting__series", "attendee"]
    readonly_fields = [
        "meeting",
        "github_handle",
        "verified",
        "attendee",
        "verified_by",
        "created_at",
        "verified_at",
    ]
    actions = ["confirm"]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.has_perm("meetings.edit_any_meeting"):
            return queryset
        return queryset.filter(meeting__mc__user_id=request.user.pk)

    def has_module_permission(self, request):
        return request.user.has_perm("meetings.change_meeting")

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return request.user.has_perm("meetings.change_meeting")
        return can_edit_meeting(request.user, obj.meeting)

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return self.has_view_permission(request, obj)

    @admin.action(description=_("Confirm: list them as joined"))
    def confirm(self, request, queryset):
        confirmed = 0
        for meeting in Meeting.objects.filter(
            pk__in=queryset.filter(verified=False).values("meeting")
        ).select_related("series"):
            if not can_edit_meeting(request.user, meeting):
                continue
            try:
                result = confirm_check_ins(
                    meeting=meeting,
                    check_ins=queryset.filter(meeting=meeting),
                    user=request.user,
                )
            except MeetingError as error:
                self.message_user(request, error.message, messages.ERROR)
                continue
            confirmed += len(result.confirmed)
        self.message_user(
            request,
            _("Confirmed %(n)d check-ins: they are listed as joined.")
            % {"n": confirmed},
            messages.SUCCESS,
        )


class RoleForm(forms.Form):
    """Give a role by GitHub handle (the roles page)."""

    role = forms.ChoiceField(label=_("Role"), choices=list(GRANTABLE.items()))
    handle = forms.CharField(
        label=_("GitHub handle"),
        max_length=60,
        help_text=_("Type a few letters to pick from people; a new handle is added."),
        widget=forms.TextInput(
            attrs={"list": "role-people", "autocomplete": "off", "class": "vTextField"}
        ),
    )
    meeting = forms.ModelChoiceField(
        label=_("Call"),
        required=False,
        queryset=Meeting.objects.none(),
        help_text=_("For MC and note-taker: the call."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            Meeting.objects.filter(
                status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD]
            )
            .select_related("series")
            .order_by("start")
        )


@admin.register(RoleGrant)
class RoleGrantAdmin(admin.ModelAdmin):
    """The roles page: Maintainers give Maintainer, MC and note-taker by handle."""

    def has_module_permission(self, request):
        return self.is_maintainer(request)

    def has_view_permission(self, request, obj=None):
        return self.is_maintainer(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @staticmethod
    def is_maintainer(request) -> bool:
        user = request.user
        return (
            user.is_active
            and user.is_staff
            and (user.has_perm("meetings.edit_any_meeting"))
        )

    def get_urls(self):
        return [
            path(
                "people/",
                self.admin_site.admin_view(self.people_view),
                name="meetings_rolegrant_people",
            ),
            *super().get_urls(),
        ]

    def people_view(self, request):
        """Handles for the roles page's autocomplete (staff with the page only)."""
        if not self.is_maintainer(request):
            raise PermissionDenied
        term = (request.GET.get("term") or "").strip().lstrip("@")[:60]
        people = []
        if term:
            people = list(
                Attendee.objects.with_handle()
                .filter(
                    Q(github_handle__istartswith=term) | Q(display_name__icontains=term)
                )
                .order_by(Lower("github_handle"))
                .values("github_handle", "display_name")[:20]
            )
        return JsonResponse({"results": people})

    def changelist_view(self, request, extra_context=None):
        if not self.is_maintainer(request):
            raise PermissionDenied
        form = RoleForm()
        if request.method == "POST":
            if request.POST.get("action") == "remove":
                self.remove(request)
                return HttpResponseRedirect(request.path)
            form = RoleForm(request.POST)
            if form.is_valid():
                try:
                    result = grant_role(
                        handle=form.cleaned_data["handle"],
                        role=form.cleaned_data["role"],
                        meeting=form.cleaned_data["meeting"],
                        by=request.user,
                    )
                except RoleError as error:
                    form.add_error(None, error.message)
                else:
                    person, role = result.attendee, form.cleaned_data["role"]
                    what = GRANTABLE[role]
                    if role != RoleGrant.Role.MAINTAINER:
                        what = f"{what}: {form.cleaned_data['meeting']}"
                    when = "now" if result.applied_now else "at their first sign-in"
                    messages.success(
                        request,
                        f"@{person.github_handle} is {what}; the rights apply {when}.",
                    )
                    return HttpResponseRedirect(request.path)
        open_calls = [Meeting.Status.SCHEDULED, Meeting.Status.HELD]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Roles"),
            "opts": self.opts,
            "form": form,
            "media": self.media + form.media,
            "maintainers": RoleGrant.objects.filter(role=RoleGrant.Role.MAINTAINER)
            .select_related("attendee", "granted_by")
            .order_by(Lower("attendee__github_handle")),
            "mcs": Meeting.objects.filter(status__in=open_calls, mc__isnull=False)
            .select_related("series", "mc")
            .order_by("start"),
            "note_takers": RoleGrant.objects.filter(
                role=RoleGrant.Role.NOTE_TAKER, meeting__status__in=open_calls
            )
            .select_related("attendee", "meeting__series")
            .order_by("meeting__start"),
            "changes": RoleChange.objects.select_related("meeting__series")[:50],
            "restriction": maintainer_restriction(),
            "people_url": reverse("admin:meetings_rolegrant_people"),
        }
        return TemplateResponse(request, "admin/meetings/rolegrant/roles.html", context)

    def remove(self, request):
        try:
            if request.POST.get("role") == MC:
                meeting = get_object_or_404(Meeting, pk=request.POST.get("meeting"))
                person = remove_role(role=MC, meeting=meeting, by=request.user)
            else:
                grant = get_object_or_404(
                    RoleGrant.objects.select_related("attendee", "meeting"),
                    pk=request.POST.get("grant"),
                )
                person = remove_role(role=grant.role, grant=grant, by=request.user)
        except RoleError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"Role removed from @{person.github_handle}.")
