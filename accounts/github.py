"""GitHub for allauth, with the GitHub address read from settings at run time.

allauth's own adapter fixes its URLs when it is imported; Callbook reads
GITHUB_URL / GITHUB_API_URL on every request instead, so GitHub Enterprise works
and the tests can point sign-in at a fake GitHub on a loopback port.
"""

import requests
from allauth.socialaccount.providers.github.provider import (
    GitHubProvider as AllauthGitHubProvider,
)
from allauth.socialaccount.providers.github.views import (
    GitHubOAuth2Adapter as AllauthGitHubAdapter,
)
from django.conf import settings

from meetings.roles import maintainer_restriction

API_TIMEOUT_SECONDS = 10


def web_url() -> str:
    return (settings.GITHUB_URL or "https://github.com").rstrip("/")


def api_url() -> str:
    if settings.GITHUB_API_URL:
        return settings.GITHUB_API_URL.rstrip("/")
    if web_url() == "https://github.com":
        return "https://api.github.com"
    return f"{web_url()}/api/v3"  # GitHub Enterprise Server


class GitHubOAuth2Adapter(AllauthGitHubAdapter):
    @property
    def access_token_url(self):
        return f"{web_url()}/login/oauth/access_token"

    @property
    def authorize_url(self):
        return f"{web_url()}/login/oauth/authorize"

    @property
    def profile_url(self):
        return f"{api_url()}/user"

    @property
    def emails_url(self):
        return f"{api_url()}/user/emails"


class GitHubProvider(AllauthGitHubProvider):
    """allauth's GitHub provider with the adapter above (views in accounts.views)."""

    oauth2_adapter_class = GitHubOAuth2Adapter
    package = "accounts"

    def get_default_scope(self):
        scope = super().get_default_scope()
        if maintainer_restriction():
            scope.append("read:org")  # to see private organization membership
        return scope


def is_member(*, token: str, login: str, restriction: str) -> bool:
    """Whether `login` is an active member of the org ("org") or team ("org/team").

    Asked once, at sign-in, with the token GitHub just gave; the token is then
    dropped (SOCIALACCOUNT_STORE_TOKENS is off).
    """
    org, _sep, team = restriction.partition("/")
    if team:
        url = f"{api_url()}/orgs/{org}/teams/{team}/memberships/{login}"
    else:
        url = f"{api_url()}/user/memberships/orgs/{org}"
    try:
        response = requests.get(
            url,
            headers={
                "Authorization": f"token {token}",
                "Accept": "application/vnd.github+json",
            },
            timeout=API_TIMEOUT_SECONDS,
        )
    except requests.RequestException:
        return False
    if response.status_code != 200:
        return False
    return response.json().get("state") == "active"
