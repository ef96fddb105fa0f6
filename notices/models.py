"""The notices outbox, the series' channels and each address's choices.

These models sit between meetings and agenda: agenda's services enqueue notices in
their own transactions, so nothing here imports agenda. What a notice says is
composed when it is sent (notices/compose.py), from the objects it names.
"""

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from meetings.models import HttpsURLField, MeetingSeries
from people.models import Attendee


class NoticeQuerySet(models.QuerySet):
    def claimable(self, now):
        """Notices a worker may take now: due and waiting, or left by a worker whose
        lease ran out."""
        return self.filter(
            models.Q(status=Notice.Status.PENDING, due_at__lte=now)
            | models.Q(status=Notice.Status.SENDING, lease_until__lt=now)
        )

    def sent(self):
        return self.filter(status=Notice.Status.SENT)

    def enqueue(
        self,
        *,
        kind: str,
        about: models.Model,
        occurrence: str,
        address: str,
        due_at: dt.datetime,
        channel: str = "",
        is_list: bool = False,
        context: dict | None = None,
    ) -> "Notice | None":
        """Put one notice in the outbox unless its key is there already.

        Call it inside the transaction of the change it reports, so a notice exists
        exactly when the decision it reports was saved. Returns the new row, or
        None when this notice was enqueued before (or has no address).
        """
        address = (address or "").strip()
        if not address:
            return None
        channel = channel or Notice.Channel.EMAIL
        if channel == Notice.Channel.EMAIL:
            address = address.lower()
        notice, created = self.get_or_create(
            kind=kind,
            object_key=object_key(about),
            occurrence=occurrence,
            address=address,
            defaults={
                "channel": channel,
                "is_list": is_list,
                "context": context or {},
                "due_at": due_at,
            },
        )
        if not created:
            return None
        transaction.on_commit(_wake_worker)
        return notice


def object_key(obj: models.Model) -> str:
    """How a notice names the object it is about: "meeting:12"."""
    return f"{obj._meta.model_name}:{obj.pk}"


def _wake_worker() -> None:
    # A notice due now goes out at the worker's next poll, not its next tick.
    from notices.tasks import wake_worker

    wake_worker()


class Notice(models.Model):
    """One message to send exactly once: an e-mail to one address or one POST."""

    class Kind(models.TextChoices):
        AGENDA_DIGEST = "agenda_digest", _("Agenda digest before the call")
        NEXT_MC = "next_mc", _("Reminder to the call's MC")
        PROPOSAL_ACCEPTED = "proposal_accepted", _("Proposal accepted")
        PROPOSAL_DECLINED = "proposal_declined", _("Proposal declined")
        PROPOSAL_DEFERRED = "proposal_deferred", _("Proposal deferred")
        ACTION_ITEMS = "action_items", _("Action items after the call")
        ACTION_DIGEST = "action_digest", _("Weekly digest of open action items")
        NOTES_PUBLISHED = "notes_published", _("Notes published")
        CONFIRM_ADDRESS = "confirm_address", _("Confirm an address")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Not sent (no opt-in)")
        HELD = "held", _("Held until the address is confirmed")

    kind = models.CharField(_("kind"), max_length=32, choices=Kind)
    channel = models.CharField(
        _("channel"), max_length=16, choices=Channel, default=Channel.EMAIL
    )
    # The object the notice is about ("meeting:12", "agenda_item:40", "attendee:3")
    # and which occurrence of it (the call's start, the decision's meeting version,
    # the ISO week): with the kind and the address, the key that is sent once.
    object_key = models.CharField(_("about"), max_length=64)
    occurrence = models.CharField(_("occurrence"), max_length=64)
    address = models.CharField(
        _("address"), max_length=500, help_text=_("E-mail address or webhook URL.")
    )
    is_list = models.BooleanField(
        _("to the series' list"),
        default=False,
        help_text=_("Sent to the series' own list or webhook, which need no opt-in."),
    )
    context = models.JSONField(
        _("context"),
        default=dict,
        blank=True,
        help_text=_("What was decided when the notice was made (reason, target call)."),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=Status, default=Status.PENDING
    )
    due_at = models.DateTimeField(
        _("due"), help_text=_("Not sent before; after a failure, the next try.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    lease_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-due_at", "-pk"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_key", "occurrence", "address"],
                name="notices_notice_once",
                violation_error_message=_("This notice exists already."),
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="notices_notice_due"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} to {self.address} ({self.object_key})"

    @property
    def object_id(self) -> int:
        return int(self.object_key.partition(":")[2])


class SeriesChannels(models.Model):
    """Where a series' public notices go: its mailing list and a chat webhook."""

    series = models.OneToOneField(
        MeetingSeries,
        on_delete=models.CASCADE,
        related_name="notice_channels",
        verbose_name=_("series"),
    )
    list_address = models.EmailField(
        _("mailing-list address"),
        blank=True,
        help_text=_("Gets the agenda digest before each call and the published notes."),
    )
    webhook_url = HttpsURLField(
        _("webhook URL"),
        blank=True,
        max_length=500,
        help_text=_(
            "A Slack, Discord or Matrix incoming webhook: gets the digest and the "
            "published notes as a JSON POST."
        ),
    )

    class Meta:
        verbose_name = _("series notice channels")
        verbose_name_plural = _("series notice channels")

    def __str__(self):
        return str(self.series)


class Preference(models.Model):
    """The notices one address asked for; without a row, nothing is sent to it."""

    class Topic(models.TextChoices):
        PROPOSALS = "proposals", _("Decisions on my proposals")
        MC = "mc", _("Reminders when I am the MC")
        ACTIONS = "actions", _("My action items")

    email = models.EmailField(
        _("e-mail"), help_text=_("Compared case-insensitively; one row per address.")
    )
    attendee = models.OneToOneField(
        Attendee,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notice_preference",
        verbose_name=_("person"),
        help_text=_("The person whose MC reminders and action items go here."),
    )
    proposals = models.BooleanField(
        _("decisions on proposals"),
        default=True,
        help_text=_("Accepted, declined with the reason, deferred."),
    )
    mc = models.BooleanField(
        _("MC reminders"), default=True, help_text=_("Two days before a call they MC.")
    )
    actions = models.BooleanField(
        _("action items"),
        default=True,
        help_text=_("After each call, and a weekly digest of open items."),
    )
    confirmed_at = models.DateTimeField(
        _("confirmed"),
        null=True,
        blank=True,
        help_text=_(
            "When the address was shown to belong to the person: its confirmation "
            "link opened, or verified by GitHub. Nothing is sent before. Set it "
            "here only for an address the person gave you themselves."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = [Lower("email")]
        verbose_name = _("notice preference")
        verbose_name_plural = _("notice preferences")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="notices_preference_unique_email_ci",
                violation_error_message=_("This address has preferences already."),
            ),
        ]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        self.email = (self.email or "").strip()
        if (
            self.email
            and Preference.objects.exclude(pk=self.pk)
            .filter(email__iexact=self.email)
            .exists()
        ):
            raise ValidationError(
                {"email": _("This address has preferences already.")},
                code="duplicate_email",
            )

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None

    def wants(self, topic: str) -> bool:
        return bool(getattr(self, topic))
