from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Sign-in: GitHub (allauth), the break-glass password, the dev stand-in."""

    name = "accounts"
    verbose_name = "Sign-in"

    def ready(self):
        from accounts import checks  # noqa: F401 - registers the system checks
