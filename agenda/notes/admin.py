"""Admin page: upload markdown notes, read the dry-run report, then import.

Served by MeetingAdmin.get_urls() at /admin/meetings/meeting/import-notes/, with a
button on the meetings list (staff only, and only for users who may add meetings).
The uploaded files are kept in the session between the dry run and the import,
under a one-time token, so the import is exactly what was previewed.
"""

import base64
import secrets

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from agenda.notes.format import load_profile
from agenda.notes.importer import NotesImportError, import_notes

PERMISSION = "meetings.add_meeting"
SESSION_KEY = "agenda_notes_upload"
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TOTAL_BYTES = 10 * 1024 * 1024


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".md"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class NotesUploadForm(forms.Form):
    series = forms.SlugField(
        label=_("Series"),
        max_length=80,
        help_text=_(
            "Slug of the series the calls belong to; created if it does not exist."
        ),
    )
    split_series = forms.BooleanField(
        label=_("A series per recurring title"),
        required=False,
        help_text=_(
            "Calls titled after another recurring call go to a series of that title."
        ),
    )
    profile = forms.CharField(
        label=_("Heading profile"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "Optional: map your notes' own headings to roles, one "
            "“heading text: role” a line (attendees, absent, agenda, notes, "
            "decisions, actions, links, recording, topic, ignore, ...)."
        ),
    )
    files = MultipleFileField(
        label=_("Notes files"), help_text=_("One or more markdown (.md) files.")
    )

    def clean_profile(self):
        text = self.cleaned_data["profile"]
        try:
            load_profile(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="bad_profile") from exc
        return text

    def clean_files(self):
        files = self.cleaned_data["files"]
        total = 0
        for upload in files:
            if not upload.name.lower().endswith((".md", ".markdown")):
                raise forms.ValidationError(
                    _("“%(name)s” is not a markdown file (.md)."),
                    code="not_markdown",
                    params={"name": upload.name},
                )
            if upload.size > MAX_FILE_BYTES:
                raise forms.ValidationError(
                    _("“%(name)s” is larger than 2 MB."),
                    code="too_large",
                    params={"name": upload.name},
                )
            total += upload.size
        if total > MAX_TOTAL_BYTES:
            raise forms.ValidationError(
                _("The files together are larger than 10 MB."), code="too_large"
            )
        return files


def import_notes_view(request, admin_context: dict):
    """The upload page; admin_context is the admin's page context (MeetingAdmin)."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied("Importing notes needs the permission to add meetings.")
    context = {**admin_context, "title": _("Import meeting notes")}
    if request.method == "POST" and "confirm" in request.POST:
        pending = request.session.get(SESSION_KEY)
        if not pending or not secrets.compare_digest(
            pending.get("token", ""), request.POST.get("token", "")
        ):
            messages.error(request, _("Nothing to import: upload the files again."))
            return redirect("admin:meetings_meeting_import_notes")
        sources = [(name, base64.b64decode(data)) for name, data in pending["files"]]
        report = import_notes(
            sources=sources,
            series_slug=pending["series"],
            split_series=pending.get("split_series", False),
            vocabulary=load_profile(pending.get("profile", "")),
        )
        del request.session[SESSION_KEY]
        if report.failures:
            messages.warning(
                request, _("Imported, but some files failed: see the report.")
            )
        else:
            messages.success(request, _("The notes were imported."))
        context.update(report=report, series=pending["series"], imported=True)
        return TemplateResponse(
            request, "admin/agenda/import_notes_report.html", context
        )
    form = NotesUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        sources = [
            (upload.name, upload.read()) for upload in form.cleaned_data["files"]
        ]
        series = form.cleaned_data["series"]
        split_series = form.cleaned_data["split_series"]
        profile = form.cleaned_data["profile"]
        try:
            report = import_notes(
                sources=sources,
                series_slug=series,
                dry_run=True,
                split_series=split_series,
                vocabulary=load_profile(profile),
            )
        except NotesImportError as exc:
            form.add_error("series", exc.message)
        else:
            token = secrets.token_urlsafe(16)
            request.session[SESSION_KEY] = {
                "token": token,
                "series": series,
                "split_series": split_series,
                "profile": profile,
                "files": [
                    (name, base64.b64encode(data).decode("ascii"))
                    for name, data in sources
                ],
            }
            context.update(report=report, series=series, token=token)
            return TemplateResponse(
                request, "admin/agenda/import_notes_report.html", context
            )
    context["form"] = form
    return TemplateResponse(request, "admin/agenda/import_notes.html", context)
