"""Keep a meeting's GitHubReference rows in step with what its notes link to."""

from django.db import transaction

from meetings.markdown import github_references
from meetings.models import GitHubReference, Meeting


def meeting_github_references(meeting: Meeting) -> set[tuple[str, str, int]]:
    """Every issue or PR that the meeting's markdown links to, as rendered.

    Reads highlights, free notes and each agenda item's description, discussion
    notes and links, through reverse accessors so meetings never imports agenda.
    """
    default_repo = meeting.series.github_repo
    texts = [meeting.highlights, meeting.notes]
    for item in meeting.agenda_items.all():
        texts += [item.description, item.discussion_notes, item.links]
    found: dict[tuple[str, str, int], tuple[str, str, int]] = {}
    for text in texts:
        for owner, repo, number in github_references(text or "", default_repo):
            # One row per issue however its owner/repo was capitalised.
            found.setdefault(
                (owner.lower(), repo.lower(), number), (owner, repo, number)
            )
    return set(found.values())


def sync_github_references(meeting: Meeting) -> list[GitHubReference]:
    """Store exactly the references the meeting's notes make; return them.

    Call it after a meeting's notes or agenda change (save, finalize, import).
    """
    wanted = meeting_github_references(meeting)
    wanted_keys = {(o.lower(), r.lower(), n): (o, r, n) for o, r, n in wanted}
    with transaction.atomic():
        keep, stale = [], []
        for ref in meeting.github_refs.all():
            key = (ref.owner.lower(), ref.repo.lower(), ref.number)
            if wanted_keys.pop(key, None):
                keep.append(ref)
            else:
                stale.append(ref.pk)
        if stale:
            GitHubReference.objects.filter(pk__in=stale).delete()
        created = GitHubReference.objects.bulk_create(
            [
                GitHubReference(meeting=meeting, owner=o, repo=r, number=n)
                for o, r, n in sorted(wanted_keys.values())
            ]
        )
    return sorted(keep + created, key=lambda ref: (ref.owner, ref.repo, ref.number))
