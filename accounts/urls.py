"""Sign-in URLs: /accounts/login/, /accounts/logout/, /accounts/github/..."""

from allauth.socialaccount import views as socialaccount_views
from allauth.socialaccount.providers.oauth2.urls import default_urlpatterns
from django.urls import include, path

from accounts import views
from accounts.github import GitHubProvider

# allauth's names (account_login, socialaccount_login_error, ...) are kept global
# because allauth reverses them; only what sign-in needs is routed: no local
# sign-up, password reset or e-mail management.
urlpatterns = [
    path("accounts/login/", views.sign_in, name="account_login"),
    path("accounts/logout/", views.sign_out, name="account_logout"),
    path(
        "accounts/login/cancelled/",
        socialaccount_views.login_cancelled,
        name="socialaccount_login_cancelled",
    ),
    path(
        "accounts/login/error/",
        socialaccount_views.login_error,
        name="socialaccount_login_error",
    ),
    path("accounts/", include(default_urlpatterns(GitHubProvider))),
]
