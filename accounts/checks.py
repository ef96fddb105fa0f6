"""System checks for sign-in: the development stand-in never runs in production."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def dev_sign_in_off_in_production(app_configs, **kwargs):
    if getattr(settings, "DEV_SIGN_IN", False) and not settings.DEBUG:
        return [
            Error(
                "DEV_SIGN_IN is on with DEBUG off: anyone could sign in as any "
                "GitHub handle, a Maintainer's included.",
                hint="Unset DEV_SIGN_IN (it is for `make run` on a laptop only).",
                id="accounts.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def github_app_configured(app_configs, **kwargs):
    if settings.DEBUG or getattr(settings, "GITHUB_CLIENT_ID", ""):
        return []
    from django.core.checks import Warning

    return [
        Warning(
            "GITHUB_CLIENT_ID is not set: nobody can sign in with GitHub, only the "
            "break-glass superuser with a password.",
            hint="Register a GitHub OAuth app (README, Deploy) and set "
            "GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET.",
            id="accounts.W001",
        )
    ]
