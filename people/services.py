"""Finding and creating the people that pasted notes and check-ins refer to."""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from people.models import Attendee, normalize_handle, validate_github_handle
from people.parsing import ParsedAttendee


class PersonError(Exception):
    """A person could not be created; str(error) says why."""


@dataclass(frozen=True)
class AttendeeMatch:
    """Who one pasted line refers to: a known person, a new one, or unclear."""

    parsed: ParsedAttendee
    attendee: Attendee | None = None
    # "handle", "alias" or "name" for a known person; "new"; or "ambiguous".
    matched_by: str = "new"
    candidates: tuple[Attendee, ...] = field(default=())

    @property
    def is_new(self) -> bool:
        return self.matched_by == "new"

    @property
    def is_ambiguous(self) -> bool:
        return self.matched_by == "ambiguous"

    @property
    def sets_handle(self) -> bool:
        """A known person without a handle, whose handle the line gives."""
        return bool(
            self.attendee and self.parsed.handle and not self.attendee.github_handle
        )


def _only(queryset) -> tuple[Attendee | None, tuple[Attendee, ...]]:
    found = tuple(queryset[:5])
    if len(found) == 1:
        return found[0], ()
    return None, found


def match_attendee(parsed: ParsedAttendee) -> AttendeeMatch:
    """Find the person a line names: by GitHub handle, then alias, then name.

    A line whose handle is unknown still matches a person of the same name only
    when that person has no handle yet (a different handle is a different person).
    Several people sharing an alias or name is reported as ambiguous, never guessed.
    """
    if parsed.handle:
        person = Attendee.objects.handle_is(parsed.handle).first()
        if person:
            return AttendeeMatch(parsed, person, "handle")
    for matched_by, lookup in (
        ("alias", "aliases__name__iexact"),
        ("name", "display_name__iexact"),
    ):
        names = {parsed.name, parsed.handle} - {""}
        queryset = Attendee.objects.none()
        for name in names:
            queryset = queryset | Attendee.objects.filter(**{lookup: name})
        queryset = queryset.distinct().order_by("pk")
        if parsed.handle:
            # Someone else's handle means someone else.
            queryset = queryset.filter(github_handle="")
        person, candidates = _only(queryset)
        if person:
            return AttendeeMatch(parsed, person, matched_by)
        if candidates:
            return AttendeeMatch(parsed, None, "ambiguous", candidates)
    return AttendeeMatch(parsed, None, "new")


def create_attendee(*, name: str, handle: str = "") -> Attendee:
    """Add a person, or return the one who already has this GitHub handle."""
    handle = normalize_handle(handle)
    if handle:
        try:
            validate_github_handle(handle)
        except ValidationError as error:
            raise PersonError(" ".join(error.messages)) from error
    name = (name or handle).strip()[:150]
    if not name:
        raise PersonError("A new person needs a name or a GitHub handle.")
    with transaction.atomic():
        if handle:
            existing = Attendee.objects.handle_is(handle).first()
            if existing:
                return existing
        try:
            with transaction.atomic():
                return Attendee.objects.create(display_name=name, github_handle=handle)
        except IntegrityError:
            # Someone added the same handle a moment ago.
            existing = Attendee.objects.handle_is(handle).first() if handle else None
            if existing is None:
                raise
            return existing
