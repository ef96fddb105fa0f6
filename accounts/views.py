"""Sign in with GitHub, sign out (POST only), and the development stand-in."""

from urllib.parse import urlsplit

from allauth.socialaccount.providers.oauth2.views import (
    OAuth2CallbackView,
    OAuth2LoginView,
)
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME, login, logout
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from accounts.github import GitHubOAuth2Adapter, web_url
from accounts.services import dev_sign_in_user
from meetings.roles import sync_user_roles
from people.models import normalize_handle, validate_github_handle

# allauth's views, with the adapter that reads the GitHub address from settings.
oauth2_login = OAuth2LoginView.adapter_view(GitHubOAuth2Adapter)
oauth2_callback = OAuth2CallbackView.adapter_view(GitHubOAuth2Adapter)


def safe_next(request) -> str:
    """The `next` parameter if it points into this site, else the home page."""
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(
        REDIRECT_FIELD_NAME, ""
    )
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("meetings:home")


def github_origin() -> str:
    parts = urlsplit(web_url())
    return f"{parts.scheme}://{parts.netloc}"


def dev_sign_in_enabled() -> bool:
    # The system check refuses DEV_SIGN_IN with DEBUG off; this holds regardless.
    return bool(settings.DEV_SIGN_IN and settings.DEBUG)


class DevSignInForm(forms.Form):
    handle = forms.CharField(
        label=_("GitHub handle"),
        max_length=60,
        help_text=_("Development only: sign in as anyone, e.g. danaruiz."),
    )

    def clean_handle(self):
        handle = normalize_handle(self.cleaned_data["handle"])
        validate_github_handle(handle)
        return handle


class SignInView(FormView):
    """The sign-in page: the GitHub button (and, in development, the stand-in)."""

    template_name = "accounts/login.html"
    form_class = DevSignInForm

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            next=safe_next(self.request),
            github_enabled=bool(settings.GITHUB_CLIENT_ID),
            dev_sign_in=dev_sign_in_enabled(),
            **kwargs,
        )

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs)
        policy = settings.CONTENT_SECURITY_POLICY
        if policy:
            # The GitHub button posts here and is redirected to GitHub: browsers
            # hold that redirect to this page's form-action.
            response.headers["Content-Security-Policy"] = policy.replace(
                "form-action 'self'", f"form-action 'self' {github_origin()}"
            )
        return response

    def post(self, request, *args, **kwargs):
        if not dev_sign_in_enabled():
            raise Http404("Development sign-in is off.")
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = dev_sign_in_user(handle=form.cleaned_data["handle"])
        # login() rotates the session key, as a GitHub sign-in does.
        login(self.request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        sync_user_roles(user)
        messages.success(
            self.request,
            f"Signed in as @{form.cleaned_data['handle']} (development sign-in).",
        )
        return HttpResponseRedirect(safe_next(self.request))


sign_in = never_cache(SignInView.as_view())


@require_POST
def sign_out(request):
    """Sign out; POST only, so that a link or an image cannot sign anyone out."""
    was_signed_in = request.user.is_authenticated
    logout(request)  # flushes the session
    if was_signed_in:
        messages.info(request, "You are signed out.")
    return HttpResponseRedirect(reverse("meetings:home"))
