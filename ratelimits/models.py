"""Counters of what one client did in a window, for the public forms' rate limits.

They live in their own table rather than in the cache: a cache may evict or cull
any entry under pressure (the database cache culls a third of its rows once it is
full), so anyone able to fill the cache, e.g. with pages under unique query
strings, could reset everyone's limits. Rows here are only ever removed once their
window is over.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Counter(models.Model):
    """How many times one client did one limited thing in the current window."""

    key = models.CharField(
        _("key"),
        max_length=200,
        unique=True,
        help_text=_("What, and who: scope:client."),
    )
    count = models.PositiveIntegerField(_("count"), default=0)
    expires_at = models.DateTimeField(
        _("window ends"), db_index=True, help_text=_("The count starts again then.")
    )

    class Meta:
        verbose_name = _("rate-limit counter")
        verbose_name_plural = _("rate-limit counters")

    def __str__(self):
        return f"{self.key}: {self.count}"
