"""The site stamp: one row whose random stamp changes on every public write.

`PublicModel` and `PublicQuerySet` are the bases of every model the public site
shows; their writes bump `SiteGeneration`, and the page cache (pagecache/caching.py)
keys every stored page and ETag by its stamp. This app sits below all others, so
every app's models can use it without imports pointing upwards.
"""

import datetime as dt
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, models, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SiteGeneration(models.Model):
    """A stamp that changes whenever anything the public site shows is written.

    The page cache keys pages and ETags by it, so one write invalidates every cached
    page at once. One row (pk=1), created on first use.
    """

    stamp = models.CharField(_("stamp"), max_length=32)
    changed_at = models.DateTimeField(_("changed at"))

    # Bumps made by this process, so that a stamp it remembers is dropped at once.
    local_bumps = 0
    # The PostgreSQL channel on which every bump is announced.
    CHANNEL = "callbook_site_generation"

    class Meta:
        verbose_name = _("site generation")
        verbose_name_plural = _("site generations")

    def __str__(self):
        return f"{self.stamp} ({self.changed_at:%Y-%m-%d %H:%M:%S})"

    @classmethod
    def bump(cls) -> None:
        """Start a new generation: a fresh random stamp, never a reused one
        (inside `bump_once()`: once, when it ends)."""
        if getattr(_batch, "pending", None) is not None:
            _batch.pending = True
            return
        cls._bump_now()

    @classmethod
    @contextmanager
    def bump_once(cls) -> Iterator[None]:
        """Bump once, as the last write of the block, instead of on every write
        inside it: a file of an import makes hundreds of public writes.

        Only inside a transaction (outside one, every write bumps at once as
        usual): nobody outside it sees its writes before it commits, and then
        sees the new stamp with them, since it is written in the same
        transaction (and NOTIFY is delivered on commit). A block that raises
        bumps on commit instead: the transaction then rolls back and nothing
        bumps (a failed import file changes nothing), or the error was caught
        further in and the writes that landed still get their new stamp.
        Nothing inside may keep a value under the stamp (`stamp_cached`): it
        would be kept under the old one."""
        if getattr(_batch, "pending", None) is not None or not (
            connection.in_atomic_block
        ):
            yield  # an outer block bumps, or there is no transaction to wait for
            return
        _batch.pending = False
        try:
            yield
        except BaseException:
            pending, _batch.pending = _batch.pending, None
            if pending:
                transaction.on_commit(cls.bump)
            raise
        pending, _batch.pending = _batch.pending, None
        if pending:
            cls._bump_now()

    @classmethod
    def _bump_now(cls) -> None:
        cls.local_bumps += 1
        values = {"stamp": secrets.token_hex(16), "changed_at": timezone.now()}
        if connection.vendor == "postgresql" and cls._update_and_notify(**values):
            return
        if not cls.objects.filter(pk=1).update(**values):
            _row, created = cls.objects.get_or_create(pk=1, defaults=values)
            if not created:
                cls.objects.filter(pk=1).update(**values)
        if connection.vendor == "postgresql":
            cls._notify()

    @classmethod
    def _update_and_notify(cls, *, stamp: str, changed_at: dt.datetime) -> bool:
        """The new stamp and its announcement in one statement (PostgreSQL).

        pg_notify() is NOTIFY: delivered when the transaction commits, to every app
        process that listens (pagecache/caching.py), so they drop the stamp they
        remember. False when the row does not exist yet.
        """
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET stamp = %s, changed_at = %s WHERE id = 1 "
                f"RETURNING pg_notify(%s, '')",
                [stamp, changed_at, cls.CHANNEL],
            )
            return cursor.fetchone() is not None

    @classmethod
    def _notify(cls) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"NOTIFY {cls.CHANNEL}")

    @classmethod
    def current(cls) -> tuple[str, dt.datetime]:
        """The stamp and time of the latest write (one primary-key lookup)."""
        row = cls.objects.filter(pk=1).values_list("stamp", "changed_at").first()
        if row is None:
            cls._bump_now()  # the row is needed now, even inside `bump_once()`
            row = cls.objects.filter(pk=1).values_list("stamp", "changed_at").get()
        return row


# Inside `SiteGeneration.bump_once()`: whether a write asked for a bump (per
# thread, as Django's connections are).
_batch = threading.local()


# Sent for every public write, with the model (sender) and the rows written:
# `instances` (saved, deleted or bulk-written objects) or `pks`, and `created`
# when every one of them was just inserted (a bulk_create). A write that may
# move rows (a queryset update) is announced before and after it, so receivers see
# both where the rows were and where they are; `before` marks the first of the
# two (a receiver whose answer no update can change needs only the second). For
# what an app derives from particular rows (meetings.published: a finalized
# call's stored page).
public_rows_written = Signal()


def announce(
    model, *, instances=(), pks=(), created: bool = False, before: bool = False
) -> None:
    if public_rows_written.has_listeners(model):
        public_rows_written.send(
            model,
            instances=list(instances),
            pks=list(pks),
            created=created,
            before=before,
        )


class PublicQuerySet(models.QuerySet):
    """A QuerySet whose bulk writes bump the site generation, as save() does."""

    def _announced_pks(self, *, before: bool = False) -> list:
        if not public_rows_written.has_listeners(self.model):
            return []
        pks = list(self.values_list("pk", flat=True))
        announce(self.model, pks=pks, before=before)
        return pks

    def update(self, **kwargs):
        pks = self._announced_pks(before=True)
        rows = super().update(**kwargs)
        if rows:
            announce(self.model, pks=pks)
            SiteGeneration.bump()
        return rows

    update.alters_data = True

    def delete(self):
        self._announced_pks()
        deleted = super().delete()
        if deleted[0]:
            SiteGeneration.bump()
        return deleted

    delete.alters_data = True
    delete.queryset_only = True

    def bulk_create(
        self,
        objs,
        batch_size=None,
        ignore_conflicts=False,
        update_conflicts=False,
        update_fields=None,
        unique_fields=None,
    ):
        created = super().bulk_create(
            objs,
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_conflicts=update_conflicts,
            update_fields=update_fields,
            unique_fields=unique_fields,
        )
        if created:
            # Without update_conflicts no existing row was written.
            announce(self.model, instances=created, created=not update_conflicts)
            SiteGeneration.bump()
        return created

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        announce(self.model, pks=[obj.pk for obj in objs], before=True)
        # Django runs its UPDATEs through self.update(): as a plain QuerySet, so
        # the rows are not read and announced again, nor the stamp bumped twice.
        plain = self._chain()
        plain.__class__ = models.QuerySet
        rows = plain.bulk_update(objs, fields, *args, **kwargs)
        if rows:
            announce(self.model, instances=objs)
            SiteGeneration.bump()
        return rows


class PublicModel(models.Model):
    """A model the public site shows: every save and delete bumps the generation.

    The bump runs after the write, in the same transaction when there is one, so a
    page rendered under the new stamp always sees the new data (inside
    `SiteGeneration.bump_once()`: once for all its writes, at its end). Changes
    that bypass save(), delete() and the QuerySet above (raw SQL, `m2m.add()` on
    its own outside a form save) must call `SiteGeneration.bump()` and
    `announce()` themselves.
    """

    objects = PublicQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        announce(type(self), instances=[self])
        SiteGeneration.bump()

    def delete(self, *args, **kwargs):
        announce(type(self), instances=[self])
        deleted = super().delete(*args, **kwargs)
        SiteGeneration.bump()
        return deleted
