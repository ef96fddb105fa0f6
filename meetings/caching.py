"""Which meeting pages the public page cache may keep (see people/caching.py)."""

from meetings.models import Meeting


def meeting_is_finalized(request, *, series: str, date_key: str, **kwargs) -> bool:
    """Only finalized notes are frozen; other meeting pages depend on the clock."""
    return Meeting.objects.for_series(series).on_date_key(date_key).finalized().exists()
