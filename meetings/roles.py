"""Roles given by GitHub handle: Maintainer, MC of a call, note-taker of a call.

A Maintainer types a handle; no Django user, password or staff box is involved.
Grants are kept against the person (`RoleGrant`, or the call's `mc` field for an
MC) and every grant and removal is logged (`RoleChange`). A person's account gets
its rights from them whenever they sign in, and at once when a grant is made to
someone who has signed in before: `sync_user_roles` is the one place that turns
grants into Django's staff flag and groups.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, Group
from django.core.exceptions import ValidationError
from django.db import transaction

from meetings.models import Meeting, RoleChange, RoleGrant
from people.models import Attendee, normalize_handle, validate_github_handle
from people.services import PersonError, create_attendee

MAINTAINER_GROUP = "Maintainer"
MC_GROUP = "MC"

# What a Maintainer can give on the roles page, in the order it offers them.
MC = "mc"
GRANTABLE = {
    RoleGrant.Role.MAINTAINER: "Maintainer",
    MC: "MC of a call",
    RoleGrant.Role.NOTE_TAKER: "Note-taker for a call",
}


class RoleError(Exception):
    """A refused grant or removal; `str(error)` is the message for the person."""

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class GrantResult:
    attendee: Attendee
    created_person: bool
    applied_now: bool


def maintainer_restriction() -> str:
    """The GitHub organization ("org") or team ("org/team") Maintainers must be in."""
    return (getattr(settings, "MAINTAINER_GITHUB_ORG", "") or "").strip().strip("/")


def describe(user: AbstractBaseUser | None) -> str:
    if user is None or not user.is_authenticated:
        return ""
    person = Attendee.objects.filter(user=user).first()
    if person and person.github_handle:
        return f"@{person.github_handle}"
    return user.get_username()


def person_for_handle(handle: str, *, create: bool = False) -> tuple[Attendee, bool]:
    """The person with this GitHub handle (any case), created when asked to."""
    handle = normalize_handle(handle)
    try:
        validate_github_handle(handle)
    except ValidationError as error:
        raise RoleError(" ".join(error.messages), code="invalid_handle") from error
    person = Attendee.objects.handle_is(handle).first()
    if person:
        return person, False
    if not create:
        raise RoleError(
            f"Nobody with the GitHub handle @{handle} is known yet.", code="unknown"
        )
    try:
        return create_attendee(name=handle, handle=handle), True
    except PersonError as error:
        raise RoleError(str(error), code="invalid_handle") from error


def _log(*, action: str, role: str, person: Attendee, meeting, by) -> None:
    RoleChange.objects.create(
        action=action,
        role=role,
        handle=person.github_handle,
        meeting=meeting,
        by=by if by is not None and by.is_authenticated else None,
        by_name=describe(by),
    )


def grant_role(
    *,
    handle: str,
    role: str,
    meeting: Meeting | None = None,
    by: AbstractBaseUser | None,
    create_person: bool = True,
) -> GrantResult:
    """Give `role` to the person with `handle`; log it; apply it to their account.

    `role` is "maintainer", "mc" (sets the call's MC) or "note_taker" (for one
    call). A handle nobody has yet creates the person, who gets the role when they
    first sign in.
    """
    if role not in GRANTABLE:
        raise RoleError(f"There is no role “{role}”.", code="unknown_role")
    needs_call = role != RoleGrant.Role.MAINTAINER
    if needs_call and meeting is None:
        raise RoleError("Choose the call this role is for.", code="call_required")
    if needs_call and meeting.is_finalized:
        raise RoleError(
            "The notes of this call are finalized: choose a call still to come or "
            "in progress.",
            code="finalized",
        )
    with transaction.atomic():
        person, created = person_for_handle(handle, create=create_person)
        if role == MC:
            if meeting.mc_id == person.pk:
                raise RoleError(
                    f"@{person.github_handle} is the MC of this call already.",
                    code="exists",
                )
            meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
            previous = meeting.mc
            meeting.mc = person
            meeting.version += 1
            meeting._history_user = by
            meeting._change_reason = f"MC set to @{person.github_handle}"
            meeting.save(update_fields=["mc", "version", "updated_at"])
            if previous is not None and previous.github_handle:
                _log(action="removed", role=MC, person=previous, meeting=meeting, by=by)
        else:
            _grant, made = RoleGrant.objects.get_or_create(
                attendee=person,
                role=role,
                meeting=meeting if needs_call else None,
                defaults={"granted_by": by if by and by.is_authenticated else None},
            )
            if not made:
                raise RoleError(
                    f"@{person.github_handle} has this role already.", code="exists"
                )
        _log(action="granted", role=role, person=person, meeting=meeting, by=by)
        applied = False
        if person.user_id:
            sync_user_roles(person.user)
            applied = True
        if role == MC and previous is not None and previous.user_id:
            sync_user_roles(previous.user)
    return GrantResult(attendee=person, created_person=created, applied_now=applied)


def remove_role(
    *,
    role: str,
    by: AbstractBaseUser | None,
    grant: RoleGrant | None = None,
    meeting: Meeting | None = None,
) -> Attendee:
    """Take a role away: a grant, or the MC of `meeting`; logged like a grant."""
    with transaction.atomic():
        if role == MC:
            if meeting is None or meeting.mc_id is None:
                raise RoleError("This call has no MC to remove.", code="no_mc")
            meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
            person = meeting.mc
            meeting.mc = None
            meeting.version += 1
            meeting._history_user = by
            meeting._change_reason = f"MC @{person.github_handle} removed"
            meeting.save(update_fields=["mc", "version", "updated_at"])
        else:
            if grant is None:
                raise RoleError("There is no such role to remove.", code="missing")
            person, meeting = grant.attendee, grant.meeting
            role = grant.role
            grant.delete()
        _log(action="removed", role=role, person=person, meeting=meeting, by=by)
        if person.user_id:
            sync_user_roles(person.user)
    return person


def sync_user_roles(user: AbstractBaseUser, *, org_member: bool | None = None) -> None:
    """Give the account exactly the staff flag and groups its person's roles imply.

    Maintainer: a Maintainer grant (and, when MAINTAINER_GITHUB_ORG is set, the
    membership checked at sign-in: `org_member`; None keeps what the last sign-in
    found). MC group: the MC of any call, or a note-taker of one. Superusers keep
    their staff flag whatever their roles.
    """
    person = Attendee.objects.filter(user=user).first()
    granted = bool(
        person
        and RoleGrant.objects.filter(
            attendee=person, role=RoleGrant.Role.MAINTAINER
        ).exists()
    )
    groups = {
        group.name: group
        for group in Group.objects.filter(name__in=[MAINTAINER_GROUP, MC_GROUP])
    }
    in_maintainers = user.groups.filter(name=MAINTAINER_GROUP).exists()
    if maintainer_restriction():
        if org_member is None:
            maintainer = granted and in_maintainers
        else:
            maintainer = granted and org_member
    else:
        maintainer = granted
    runs = bool(
        person
        and (
            Meeting.objects.filter(mc=person).exists()
            or RoleGrant.objects.filter(
                attendee=person, role=RoleGrant.Role.NOTE_TAKER
            ).exists()
        )
    )
    for name, wanted in ((MAINTAINER_GROUP, maintainer), (MC_GROUP, runs)):
        group = groups.get(name)
        if group is None:
            continue
        if wanted:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    staff = user.is_superuser or maintainer or runs
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    # Django caches permissions on the user object; the groups just changed.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def give_rights_to_mc(meeting: Meeting) -> None:
    """An MC set on a call outside the Roles page (the admin, "MC next call")
    who has signed in before gets the rights now, not at their next sign-in."""
    if not meeting.mc_id:
        return
    person = (
        Attendee.objects.filter(
            pk=meeting.mc_id, user__isnull=False, user__is_staff=False
        )
        .select_related("user")
        .first()
    )
    if person is not None:
        sync_user_roles(person.user)


def takes_notes(user: AbstractBaseUser | AnonymousUser, meeting: Meeting) -> bool:
    """Whether `user` is a note-taker granted for this call."""
    if not user.is_authenticated:
        return False
    # Remembered on the user object for the request: the admin asks per inline.
    cached = user.__dict__.get("_note_taker_meetings")
    if cached is None:
        cached = set(
            RoleGrant.objects.filter(
                attendee__user=user, role=RoleGrant.Role.NOTE_TAKER
            ).values_list("meeting_id", flat=True)
        )
        user.__dict__["_note_taker_meetings"] = cached
    return meeting.pk in cached
