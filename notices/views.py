from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from accounts.services import verified_github_emails
from notices.forms import PersonPreferencesForm, TopicsForm
from notices.models import Preference
from notices.services import (
    ALL_TOPICS,
    NoticeError,
    choose_person_address,
    confirm_address,
    manage_token,
    preference_for,
    read_confirm_token,
    read_manage_token,
    read_unsubscribe_token,
    set_topics,
    unsubscribe,
)
from people.models import Attendee


def _topic_label(topic: str) -> str:
    if topic == ALL_TOPICS:
        return "all notices from Callbook"
    return str(Preference.Topic(topic).label).lower()


def _topics_of(preference: Preference | None) -> list[str]:
    if preference is None:
        return []
    return [topic for topic in Preference.Topic.values if preference.wants(topic)]


def _invalid(request, error):
    return render(
        request, "notices/unsubscribe_invalid.html", {"error": error}, status=400
    )


# The signed token is the authority: mail clients POST "List-Unsubscribe=One-Click"
# (RFC 8058) without cookies or a CSRF token, and nobody needs to sign in.
@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe_view(request, token):
    """Stop one kind of notice (or all) for the address the signed link names.

    GET only asks (link checkers open links); POST unsubscribes.
    """
    try:
        email, topic = read_unsubscribe_token(token)
    except NoticeError as error:
        return _invalid(request, error)
    context = {
        "email": email,
        "topic": topic,
        "label": _topic_label(topic),
        "manage": reverse(
            "notices:manage", kwargs={"token": manage_token(email=email)}
        ),
    }
    if request.method == "POST":
        unsubscribe(email=email, topic=topic)
        return render(request, "notices/unsubscribed.html", context)
    context["preference"] = preference_for(email)
    return render(request, "notices/unsubscribe.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def confirm_view(request, token):
    """Confirm an address from the link e-mailed to it; GET asks, POST confirms
    (mail scanners open links, and must not confirm for the person)."""
    try:
        email = read_confirm_token(token)
    except NoticeError as error:
        return _invalid(request, error)
    preference = preference_for(email)
    context = {
        "email": email,
        "preference": preference,
        "manage": reverse(
            "notices:manage", kwargs={"token": manage_token(email=email)}
        ),
    }
    if request.method == "POST" and preference is not None:
        context["preference"] = confirm_address(email=email)
        context["confirmed"] = True
    return render(request, "notices/confirm.html", context)


@require_http_methods(["GET", "HEAD", "POST"])
def manage_view(request, token):
    """Choose the notices for the address a signed link names, without signing
    in: the link is only ever sent to that address."""
    try:
        email = read_manage_token(token)
    except NoticeError as error:
        return _invalid(request, error)
    preference = preference_for(email)
    form = TopicsForm(request.POST or None, initial={"topics": _topics_of(preference)})
    if request.method == "POST" and preference is not None and form.is_valid():
        set_topics(preference=preference, topics=form.cleaned_data["topics"])
        messages.success(request, _("Saved: your choices for %s.") % email)
        return redirect(request.path)
    return render(
        request,
        "notices/manage.html",
        {"email": email, "preference": preference, "form": form},
    )


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def preferences_view(request):
    """A signed-in person's notices: which ones, and at which address (one that
    GitHub verified for them, or another they confirm by e-mail)."""
    person = Attendee.objects.filter(user=request.user).first()
    if person is None:
        return render(request, "notices/preferences.html", {"person": None})
    current = Preference.objects.filter(attendee=person).first()
    verified = verified_github_emails(request.user)
    form = PersonPreferencesForm(
        request.POST or None,
        verified=verified,
        current=current,
        initial={"topics": _topics_of(current) if current else Preference.Topic.values},
    )
    if request.method == "POST" and form.is_valid():
        try:
            preference = choose_person_address(
                attendee=person,
                email=form.cleaned_data["email"],
                verified=form.cleaned_data["verified"],
                topics=form.cleaned_data["topics"],
            )
        except NoticeError as error:
            form.add_error(None, str(error))
        else:
            if preference.is_confirmed:
                messages.success(
                    request, _("Saved: your notices go to %s.") % preference.email
                )
            else:
                messages.success(
                    request,
                    _(
                        "Saved. We sent a confirmation link to %s: nothing else "
                        "goes there until it is opened."
                    )
                    % preference.email,
                )
            return redirect("notices:preferences")
    return render(
        request,
        "notices/preferences.html",
        {
            "person": person,
            "form": form,
            "current": current,
            "verified": verified,
        },
    )
