"""The public "I'm here" link of a call: people say they joined.

Open only while the call is on (start to 30 minutes after its scheduled end). A
person signed in with GitHub checks in with one click: the check-in is verified and
they are listed as joined at once. Anyone else types a GitHub handle, which records
an unverified check-in for the MC to confirm (anyone can type any handle). Checking
in twice is harmless, and a per-client limit keeps a script from filling the list.
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.utils.translation import gettext_lazy as _
from django.views.generic import FormView

from meetings.models import Meeting
from meetings.services import (
    CheckInRefused,
    check_in,
    check_in_refusal,
    check_in_signed_in,
    check_in_window,
    format_moment,
)
from people.models import Attendee, normalize_handle, validate_github_handle
from ratelimits.services import client_address, take

# Per client address and call: a whole call behind one address (an office, or a
# proxy that does not pass the client's address on) still fits, a script does not.
CHECK_INS_PER_ADDRESS = 60
CHECK_IN_PERIOD_SECONDS = 600
TOO_MANY = (
    "Too many check-ins from your network for this call. Try again in a few "
    "minutes, or ask the MC to add you."
)


class CheckInForm(forms.Form):
    github_handle = forms.CharField(
        label=_("Your GitHub handle"),
        max_length=60,
        help_text=_("With or without the @, e.g. adaquill."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )

    def clean_github_handle(self):
        handle = normalize_handle(self.cleaned_data["github_handle"])
        validate_github_handle(handle)  # ValidationError code invalid_github_handle
        return handle


class CheckInView(FormView):
    template_name = "agenda/checkin.html"
    form_class = CheckInForm

    def dispatch(self, request, *args, **kwargs):
        self.meeting = (
            Meeting.objects.for_series(kwargs["series"])
            .on_date_key(kwargs["date_key"])
            .select_related("series")
            .first()
        )
        if self.meeting is None:
            raise Http404("No call of this series on this date.")
        return super().dispatch(request, *args, **kwargs)

    def signed_in_person(self):
        user = self.request.user
        if not user.is_authenticated:
            return None
        return Attendee.objects.filter(user=user).exclude(github_handle="").first()

    def get_context_data(self, **kwargs):
        opens, closes = check_in_window(self.meeting)
        return super().get_context_data(
            meeting=self.meeting,
            person=self.signed_in_person(),
            refusal=check_in_refusal(meeting=self.meeting),
            opens=format_moment(self.meeting, opens),
            closes=format_moment(self.meeting, closes),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        refusal = check_in_refusal(meeting=self.meeting)
        if refusal:
            return self.render_to_response(self.get_context_data(), status=403)
        if not self.within_limit():
            response = self.render_to_response(
                self.get_context_data(too_many=TOO_MANY), status=429
            )
            response["Retry-After"] = str(CHECK_IN_PERIOD_SECONDS)
            return response
        if "one_click" in request.POST:
            return self.one_click()
        return super().post(request, *args, **kwargs)

    def one_click(self):
        try:
            result = check_in_signed_in(meeting=self.meeting, user=self.request.user)
        except CheckInRefused as refused:
            messages.error(self.request, refused.message)
            return HttpResponseRedirect(self.request.path)
        return self.welcome(result, verified=True)

    def within_limit(self) -> bool:
        return take(
            scope=f"checkin:{self.meeting.pk}",
            client=client_address(self.request),
            limit=CHECK_INS_PER_ADDRESS,
            period=CHECK_IN_PERIOD_SECONDS,
        )

    def form_valid(self, form):
        try:
            result = check_in(
                meeting=self.meeting, handle=form.cleaned_data["github_handle"]
            )
        except CheckInRefused as refused:
            form.add_error("github_handle", forms.ValidationError(refused.message))
            return self.form_invalid(form)
        return self.welcome(result, verified=False)

    def welcome(self, result, *, verified: bool):
        handle = result.check_in.github_handle
        if not result.already:
            from agenda.notebook.views import broadcast

            broadcast(self.meeting.pk, {"type": "notebook.changed", "what": "people"})
        if verified:
            messages.success(
                self.request,
                f"@{handle} is on the list of who joined (verified). Welcome!"
                if result.already
                else f"Thanks, @{handle}: you are on the list of who joined "
                "(verified).",
            )
        elif result.already:
            messages.info(self.request, f"@{handle} has already checked in. Welcome!")
        else:
            messages.success(
                self.request,
                f"Thanks, @{handle}: you are checked in. The MC confirms the list "
                "of who joined after the call.",
            )
        # Post/redirect/get: a reload does not send the form again.
        return HttpResponseRedirect(self.request.path)
