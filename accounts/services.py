"""Who a GitHub account is: the person with its stable id, else with its handle."""

import logging

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction

from people.models import Alias, Attendee, normalize_handle
from people.services import create_attendee

logger = logging.getLogger(__name__)


def _keep_alias(person: Attendee, name: str) -> None:
    if name and not person.aliases.filter(name__iexact=name).exists():
        Alias.objects.create(attendee=person, name=name)


@transaction.atomic
def link_github_account(
    *, github_id: int, login: str, name: str = "", user: AbstractBaseUser | None = None
) -> Attendee:
    """The person a GitHub account is; never a second person for the same human.

    The stable account id decides. At the first sign-in the account is linked to
    the person with its handle (any case) who has no account id yet, or a new
    person is made. When the handle changed on GitHub since, the person follows
    the id: their handle becomes the new one and the old stays as an alias, so
    notes that name it still find them. `user`, when given, becomes the person's
    account.
    """
    login = normalize_handle(login)
    person = Attendee.objects.select_for_update().filter(github_id=github_id).first()
    if person is None:
        holder = Attendee.objects.handle_is(login).select_for_update().first()
        if holder is not None and holder.github_id is None:
            person = holder
        else:
            if holder is not None:
                # Another account had this handle and renamed away since: the
                # handle is this account's now; the other keeps it as an alias.
                _keep_alias(holder, holder.github_handle)
                holder.github_handle = ""
                holder.save(update_fields=["github_handle"])
            person = create_attendee(name=name or login, handle=login)
        person.github_id = github_id
        person.save(update_fields=["github_id"])
    elif person.github_handle != login:
        old = person.github_handle
        taken = Attendee.objects.handle_is(login).exclude(pk=person.pk).first()
        if taken is not None and taken.github_id is None:
            # Notes already list someone under the new handle (a check-in typed
            # after the rename, say): that is this person; their record keeps the
            # rows, the handle moves here and the other keeps it as an alias.
            _keep_alias(taken, taken.github_handle)
            taken.github_handle = ""
            taken.save(update_fields=["github_handle"])
            taken = None
        if taken is None:
            person.github_handle = login
            person.save(update_fields=["github_handle"])
            if old.lower() != login.lower():
                _keep_alias(person, old)
        else:
            logger.warning(
                "GitHub account %s renamed to %s, a handle another account holds; "
                "kept %s",
                github_id,
                login,
                old,
            )
    if user is not None and person.user_id != user.pk:
        person.user = user
        person.save(update_fields=["user"])
    return person


@transaction.atomic
def dev_sign_in_user(*, handle: str) -> AbstractBaseUser:
    """The account of the person with `handle`, made if needed (DEV_SIGN_IN only)."""
    handle = normalize_handle(handle)
    person = create_attendee(name=handle, handle=handle)
    if person.user_id:
        return person.user
    user_model = get_user_model()
    username = person.github_handle
    suffix = 1
    while user_model.objects.filter(username__iexact=username).exists():
        suffix += 1
        username = f"{person.github_handle}-{suffix}"
    user = user_model.objects.create_user(username=username)
    person.user = user
    person.save(update_fields=["user"])
    return user


@transaction.atomic
def remember_github_emails(
    *, user: AbstractBaseUser, addresses: list[tuple[str, bool, bool]]
) -> None:
    """Keep the user's addresses as GitHub listed them at this sign-in, as
    (address, verified, primary), in allauth's EmailAddress rows: GitHub's
    verified flag is copied, and an address GitHub no longer lists is dropped."""
    seen = set()
    # At most one primary per user: cleared first, set again from GitHub's list.
    EmailAddress.objects.filter(user=user).update(primary=False)
    for email, verified, primary in addresses:
        email = (email or "").strip()
        if not email or "@" not in email or email.lower() in seen:
            continue
        seen.add(email.lower())
        row = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        if row is None:
            row = EmailAddress(user=user, email=email)
        row.verified, row.primary = bool(verified), bool(primary)
        row.save()
    for row in EmailAddress.objects.filter(user=user):
        if row.email.lower() not in seen:
            row.delete()


def verified_github_emails(user: AbstractBaseUser) -> list[str]:
    """The addresses GitHub said it verified for the user's account at their
    latest sign-in, primary first. Unverified addresses are never returned."""
    return list(
        EmailAddress.objects.filter(user=user, verified=True)
        .order_by("-primary", "email")
        .values_list("email", flat=True)
    )
