"""Password sign-in for the break-glass superuser only; everyone else uses GitHub."""

from django.conf import settings
from django.contrib.auth.backends import ModelBackend


class BreakGlassBackend(ModelBackend):
    """Django's model backend whose password check admits superusers only.

    Sessions of people who signed in with GitHub are loaded through it too
    (`get_user` is Django's), and it answers permission questions from groups.
    PASSWORD_LOGIN=staff widens the password check to all staff (older set-ups).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        user = super().authenticate(
            request, username=username, password=password, **kwargs
        )
        if user is None:
            return None
        if user.is_superuser:
            return user
        if getattr(settings, "PASSWORD_LOGIN", "superusers") == "staff":
            return user if user.is_staff else None
        return None
