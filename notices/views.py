from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from notices.models import Preference
from notices.services import (
    ALL_TOPICS,
    NoticeError,
    preference_for,
    read_unsubscribe_token,
    unsubscribe,
)


def _topic_label(topic: str) -> str:
    if topic == ALL_TOPICS:
        return "all notices from Callbook"
    return str(Preference.Topic(topic).label).lower()


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
        return render(
            request, "notices/unsubscribe_invalid.html", {"error": error}, status=400
        )
    context = {"email": email, "topic": topic, "label": _topic_label(topic)}
    if request.method == "POST":
        unsubscribe(email=email, topic=topic)
        return render(request, "notices/unsubscribed.html", context)
    context["preference"] = preference_for(email)
    return render(request, "notices/unsubscribe.html", context)
