import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, URLValidator
from django.db import models
from django.db.models.functions import RowNumber
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from meetings.models import (
    DESCRIPTION_MAX_CHARS,
    HTML_FIELDS,
    TEXT_MAX_CHARS,
    Meeting,
    MeetingSeries,
    PartOfCall,
    RenderedMarkdown,
    markdown_length,
    validate_no_control_characters,
)
from pagecache.models import PublicModel, PublicQuerySet
from people.models import (
    Attendee,
    validate_github_handle,
)

MAX_REQUESTED_MINUTES = 120


# What a call page shows of an agenda item besides its stored HTML: the texts
# (their HTML is checked against them, and they hold the call's link definitions),
# status, presenters and proposer as written, minutes, links.
AGENDA_SHOWN = (
    "meeting",
    "title",
    "description",
    "discussion_notes",
    "status",
    "arrived_late",
    "presenter_names",
    "proposer_name",
    "proposer_handle",
    "requested_minutes",
    "links",
)


class AgendaItemQuerySet(PublicQuerySet):
    def for_meeting(self, meeting):
        return self.filter(meeting=meeting)

    def proposed(self):
        return self.filter(status=AgendaItem.Status.PROPOSED)

    def accepted(self):
        return self.filter(status=AgendaItem.Status.ACCEPTED)

    def on_agenda(self):
        """Items a call page lists: accepted and discussed first, then proposals."""
        return self.filter(
            status__in=[
                AgendaItem.Status.ACCEPTED,
                AgendaItem.Status.DISCUSSED,
                AgendaItem.Status.PROPOSED,
            ]
        ).order_by(
            models.Case(
                models.When(status=AgendaItem.Status.PROPOSED, then=1), default=0
            ),
            "position",
            "pk",
        )

    def page_agenda(self, meeting) -> list["AgendaItem"]:
        """A call's whole public agenda as `on_agenda()` orders it, with what its
        page shows of each item. Proposals are moved last here: the CASE that
        orders them in SQL costs more to compile than the query takes to run."""
        items = (
            self.filter(
                meeting=meeting,
                status__in=[
                    AgendaItem.Status.ACCEPTED,
                    AgendaItem.Status.DISCUSSED,
                    AgendaItem.Status.PROPOSED,
                ],
            )
            .only(*AgendaItem.html_columns(), *AGENDA_SHOWN)
            .order_by("position", "pk")
        )
        # A stable sort: position and id order stays within each group.
        return sorted(items, key=lambda item: item.is_proposed)

    def backlog(self, series):
        """Deferred items parked on the series, not on a meeting."""
        return self.filter(series=series, meeting__isnull=True)

    def booked(self):
        """Items that take a call's time: accepted or discussed."""
        return self.filter(
            status__in=[AgendaItem.Status.ACCEPTED, AgendaItem.Status.DISCUSSED]
        )

    def booked_minutes(self) -> dict[int, int]:
        """Meeting pk -> minutes its booked items requested (one query)."""
        return dict(
            self.booked()
            .filter(meeting__isnull=False)
            .order_by()
            .values_list("meeting")
            .annotate(minutes=models.Sum("requested_minutes"))
        )

    def total_minutes(self) -> int:
        return self.aggregate(total=models.Sum("requested_minutes"))["total"] or 0

    def next_position(self) -> int:
        """The position after the last of these items (use on one call's items)."""
        return (self.aggregate(top=models.Max("position"))["top"] or 0) + 1


# How notes write several presenters: "Leo/Lore", "Ann, Bo & Cy", "Ann and Bo".
PRESENTER_SEPARATORS_RE = re.compile(r"\s*(?:/|,|&|\+|\band\b)\s*", re.IGNORECASE)


def attach_presenters(items) -> None:
    """Set `presenter_people` on each agenda item of `items`: what
    `presenters.all()` lists, in its order, from one query on the links (a
    prefetch of the many-to-many builds a related manager per item: several
    times the cost on a call page)."""
    _attach_people(items, AgendaItem.presenters.through, "agendaitem_id", "presenter")


def attach_agenda_presenters(meetings) -> None:
    """`attach_presenters` for the `agenda` of many calls at once (the notes
    feed): the links are found by call, not by hundreds of item ids, and each
    person is loaded with only what a link to them shows (name, handle), one
    row per item they present; the links' select_related cost several times
    as much."""
    items = [item for meeting in meetings for item in meeting.agenda]
    people: dict[int, list[Attendee]] = {item.pk: [] for item in items}
    if people:
        for person in (
            Attendee.objects.filter(presented_items__meeting__in=meetings)
            .only("display_name", "github_handle")
            .annotate(item_id=models.F("presented_items__id"))
            .order_by()
        ):
            # Items off the agenda (declined, deferred) are not shown.
            if person.item_id in people:
                people[person.item_id].append(person)
    _set_people(items, people, "presenter")


def attach_owners(actions) -> None:
    """Set `owner_people` on each action item of `actions` (see attach_presenters)."""
    _attach_people(actions, ActionItem.owners.through, "actionitem_id", "owner")


# What a link to a person shows (site_tags.person_link), and all that pages read
# of the people attached below.
LINKED_PERSON = ["id", "display_name", "github_handle"]


def _attach_people(objects, links, column: str, role: str) -> None:
    people: dict[int, list[Attendee]] = {obj.pk: [] for obj in objects}
    if people:
        # Rows of values, each person built from the three columns a link shows:
        # the links' select_related built two full model instances a row.
        rows = links.objects.filter(**{f"{column}__in": people}).values_list(
            column, "attendee_id", "attendee__display_name", "attendee__github_handle"
        )
        for key, *person in rows:
            people[key].append(Attendee.from_db(rows.db, LINKED_PERSON, person))
    _set_people(objects, people, role)


def _set_people(objects, people: dict[int, list[Attendee]], role: str) -> None:
    for obj in objects:
        # Attendee's ordering (lower-cased name, then id), sorted here: an ORDER
        # BY on the joined name costs more to compile than the query runs.
        group = people[obj.pk]
        group.sort(key=lambda person: (person.display_name.lower(), person.pk))
        setattr(obj, f"{role}_people", group)


def _written_for(name: str, person: Attendee) -> bool:
    """Whether a name as written ("Leo", "leogr", "MattCaya") is this person's."""
    name = name.lower().replace(" ", "")
    words = person.display_name.lower().split()
    candidates = [person.github_handle.lower(), "".join(words), *words]
    return any(candidate.startswith(name) for candidate in candidates if candidate)


class AgendaItem(PartOfCall, RenderedMarkdown, PublicModel):
    """A topic for a call: proposed by anyone, then moderated and discussed."""

    MARKDOWN_FIELDS = {
        "title": "inline",
        "description": "block",
        "discussion_notes": "block",
    }

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        DEFERRED = "deferred", _("Deferred")
        DISCUSSED = "discussed", _("Discussed")

    series = models.ForeignKey(
        MeetingSeries,
        on_delete=models.CASCADE,
        related_name="agenda_items",
        verbose_name=_("series"),
        help_text=_("Set from the meeting; alone, the item waits in the backlog."),
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="agenda_items",
        verbose_name=_("meeting"),
        help_text=_("Empty while the item waits in the series backlog."),
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        help_text=_("One line, as on the agenda."),
        validators=[validate_no_control_characters],
    )
    description = MarkdownxField(
        _("description"),
        blank=True,
        help_text=_("What the proposer wrote (markdown)."),
        validators=[
            markdown_length(DESCRIPTION_MAX_CHARS),
            validate_no_control_characters,
        ],
    )
    presenters = models.ManyToManyField(
        Attendee,
        related_name="presented_items",
        blank=True,
        verbose_name=_("presenters"),
        help_text=_("Who presents the item."),
    )
    presenter_names = models.CharField(
        _("presenters as written"),
        max_length=200,
        blank=True,
        help_text=_("The bracket text from the notes, e.g. “Lore/Leo”."),
    )
    proposer_name = models.CharField(
        _("proposer's name"),
        max_length=100,
        blank=True,
        help_text=_("Who proposed the item."),
    )
    proposer_handle = models.CharField(
        _("proposer's GitHub handle"),
        max_length=39,
        blank=True,
        validators=[validate_github_handle],
        help_text=_("Optional, without the @."),
    )
    proposer = models.ForeignKey(
        Attendee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="proposed_items",
        verbose_name=_("proposer (signed in)"),
        help_text=_("The person who proposed it while signed in with GitHub."),
    )
    proposer_email = models.EmailField(
        _("proposer's e-mail"),
        blank=True,
        help_text=_("Optional; never shown publicly."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status,
        default=Status.PROPOSED,
        help_text=_("Proposed items wait for the MC to accept, decline or defer."),
    )
    arrived_late = models.BooleanField(
        _("arrived late"),
        default=False,
        help_text=_("Proposed after the call had started: take it or defer it."),
    )
    decline_reason = models.TextField(
        _("reason"),
        blank=True,
        max_length=1000,
        help_text=_("Shown to the proposer when the item is declined."),
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Order on the agenda.")
    )
    requested_minutes = models.PositiveSmallIntegerField(
        _("requested minutes"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_REQUESTED_MINUTES)],
        help_text=_("How long the item needs."),
    )
    links = models.TextField(
        _("links"),
        blank=True,
        max_length=2000,
        help_text=_("Issues, PRs, slides: one URL a line."),
    )
    heading_level = models.PositiveSmallIntegerField(
        _("heading level"),
        default=0,
        help_text=_(
            "0 for a line of the agenda; 1-6 when the imported notes gave the item "
            "a section of its own under a heading of that level."
        ),
    )
    discussion_notes = MarkdownxField(
        _("discussion notes"),
        blank=True,
        help_text=_("What was said and decided (markdown)."),
        validators=[markdown_length(TEXT_MAX_CHARS), validate_no_control_characters],
    )
    # The secret in the proposer's private link (agenda.views.proposal_token);
    # random, so that a link tells nothing about other proposals.
    edit_key = models.CharField(
        _("private link key"), max_length=43, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    title_html = models.TextField(blank=True, editable=False)
    description_html = models.TextField(blank=True, editable=False)
    discussion_notes_html = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "edit_key",
            *HTML_FIELDS,
            "title_html",
            "description_html",
            "discussion_notes_html",
        ]
    )
    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "position", "pk"]
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(requested_minutes__gte=1)
                & models.Q(requested_minutes__lte=MAX_REQUESTED_MINUTES),
                name="agenda_item_minutes_positive",
                violation_error_message=_(
                    "Requested minutes must be between 1 and %(max)s."
                )
                % {"max": MAX_REQUESTED_MINUTES},
            ),
            models.UniqueConstraint(
                fields=["edit_key"],
                condition=~models.Q(edit_key=""),
                name="agenda_item_edit_key_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["meeting", "status", "position"], name="agenda_item_by_meeting"
            ),
            models.Index(fields=["series", "status"], name="agenda_item_by_series"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.meeting_id and not self.series_id:
            self.series_id = self.meeting.series_id
        previous_meeting_id = None
        if self.pk and not kwargs.get("force_insert"):
            previous_meeting_id = (
                AgendaItem.objects.filter(pk=self.pk)
                .values_list("meeting_id", flat=True)
                .first()
            )
        super().save(*args, **kwargs)
        # Finalized notes' search text includes their agenda; an item that moved
        # to another call leaves the old one's text too. Only finalized notes are
        # searched, so other calls get theirs when they are finalized.
        stale = {previous_meeting_id} - {None, self.meeting_id}
        if self.meeting_id and self.meeting.is_finalized:
            stale.add(self.meeting_id)
        if stale:
            Meeting.objects.filter(pk__in=stale).finalized().refresh_search_documents()

    def delete(self, *args, **kwargs):
        meeting = self.meeting if self.meeting_id else None
        deleted = super().delete(*args, **kwargs)
        if meeting is not None and meeting.is_finalized:
            Meeting.objects.filter(pk=meeting.pk).refresh_search_documents()
        return deleted

    def get_absolute_url(self):
        if self.meeting_id is None:
            return self.series.get_absolute_url()
        return self.meeting.get_absolute_url() + f"#item-{self.pk}"

    def clean(self):
        super().clean()
        if (
            self.meeting_id
            and self.series_id
            and self.meeting.series_id != self.series_id
        ):
            raise ValidationError(
                {"series": _("The item's series must be its meeting's series.")},
                code="series_mismatch",
            )

    @property
    def is_proposed(self) -> bool:
        return self.status == self.Status.PROPOSED

    @property
    def is_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED

    @property
    def is_declined(self) -> bool:
        return self.status == self.Status.DECLINED

    @property
    def is_deferred(self) -> bool:
        return self.status == self.Status.DEFERRED

    @property
    def is_discussed(self) -> bool:
        return self.status == self.Status.DISCUSSED

    @cached_property
    def presenter_entries(self) -> list[tuple[Attendee | None, str]]:
        """Everyone presenting, as (person, "") for linked people followed by
        (None, name) for names written in `presenter_names` ("Fahad/MattCaya")
        that match none of them, so a co-presenter is never dropped."""
        people = getattr(self, "presenter_people", None)
        if people is None:
            people = list(self.presenters.all())
        entries: list[tuple[Attendee | None, str]] = [(p, "") for p in people]
        for name in PRESENTER_SEPARATORS_RE.split(self.presenter_names or ""):
            name = name.strip(" @[]()")
            if name and not any(_written_for(name, person) for person in people):
                entries.append((None, name))
        return entries

    @property
    def is_in_notes(self) -> bool:
        """Part of the call's public notes (and so of search): accepted or discussed.

        Declined items are hidden from everyone but the proposer and staff, and
        deferred ones belong to the call they moved to.
        """
        return self.status in (self.Status.ACCEPTED, self.Status.DISCUSSED)

    @property
    def link_list(self) -> list[str]:
        return [line.strip() for line in self.links.splitlines() if line.strip()]

    @cached_property
    def web_links(self) -> list[str]:
        """The links that are http(s) addresses, safe to put in an href."""
        check = URLValidator(schemes=["http", "https"])
        links = []
        for link in self.link_list:
            try:
                check(link)
            except ValidationError:
                continue
            links.append(link)
        return links


class ActionItemQuerySet(PublicQuerySet):
    def open(self):
        return self.filter(status=ActionItem.Status.OPEN)

    def suggested(self):
        return self.filter(status=ActionItem.Status.SUGGESTED)

    def first_open_per_series(self, series_ids, first: int):
        """The first `first` open items raised at finalized calls of each series,
        due soonest, then oldest first; each with `open_in_series`, how many the
        series has open (one query, no row for a series with none).

        Only what a list of them shows is read: ranking every open item of a
        series sorts whole rows of the item and its call (notes included) before
        keeping ten, ~10 ms of PostgreSQL at 500 open items. The series is not
        joined: every ranked row carried its slug and repository into the sort,
        and the caller holds the series already.
        """
        per_series = models.F("meeting__series_id")
        order = [
            models.F("due_date").asc(nulls_last=True),
            models.F("meeting__start").asc(),
            models.F("position").asc(),
            models.F("pk").asc(),
        ]
        return (
            self.open()
            .filter(
                meeting__series__in=series_ids,
                meeting__status=Meeting.Status.FINALIZED,
            )
            .annotate(
                row=models.Window(RowNumber(), partition_by=per_series, order_by=order),
                open_in_series=models.Window(
                    models.Count("pk"), partition_by=per_series
                ),
            )
            .filter(row__lte=first)
            .select_related("meeting")
            .only(
                "description",
                "owner_names",
                "due_date",
                "position",
                "meeting__series",
                "meeting__date",
                "meeting__ordinal",
                "meeting__start",
            )
            .order_by(*order)
        )

    def open_carried_over_to(self, meeting):
        """`carried_over_to(meeting).open()`: the items raised at earlier calls of
        the series that are still open (without the branch for items closed
        since, which joins every call)."""
        return self.open().filter(
            meeting__series_id=meeting.series_id, meeting__start__lt=meeting.start
        )

    def carried_over_to(self, meeting):
        """Items raised at earlier calls of the series, still open when `meeting` began.

        That is: open now, or closed at this call or a later one. No row is copied
        when a call is finalized; the next call lists these.
        """
        return self.filter(
            meeting__series_id=meeting.series_id, meeting__start__lt=meeting.start
        ).filter(
            models.Q(status=ActionItem.Status.OPEN)
            | models.Q(
                status__in=[ActionItem.Status.DONE, ActionItem.Status.DROPPED],
                closed_in__start__gte=meeting.start,
            )
        )


class ActionItem(PartOfCall, RenderedMarkdown, PublicModel):
    """Something a person agreed on a call to do ("Ann to update the docs")."""

    MARKDOWN_FIELDS = {"description": "block"}

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")
        # Found by the importer in free text ("X to do Y"); an MC accepts it.
        SUGGESTED = "suggested", _("Suggested")

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("raised at"),
        help_text=_("The call where it was agreed."),
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="action_items",
        verbose_name=_("agenda item"),
        help_text=_("The item it came out of, if any."),
    )
    description = models.TextField(
        _("description"), max_length=2000, help_text=_("What is to be done.")
    )
    owners = models.ManyToManyField(
        Attendee,
        related_name="owned_action_items",
        blank=True,
        verbose_name=_("owners"),
        help_text=_("Who does it."),
    )
    owner_names = models.CharField(
        _("owners as written"),
        max_length=200,
        blank=True,
        help_text=_("Names from the notes that match no person yet."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status,
        default=Status.OPEN,
        help_text=_("Open items are carried over to the next call."),
    )
    due_date = models.DateField(
        _("due date"), null=True, blank=True, help_text=_("Optional.")
    )
    closed_in = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="closed_action_items",
        verbose_name=_("closed at"),
        help_text=_("The call where it was marked done or dropped."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    description_html = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=["updated_at", *HTML_FIELDS, "description_html"]
    )
    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["meeting", "position", "pk"]
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        indexes = [
            models.Index(fields=["status", "due_date"], name="agenda_action_by_status"),
        ]

    def __str__(self):
        return self.description[:80]

    def get_absolute_url(self):
        return self.meeting.get_absolute_url() + f"#action-{self.pk}"

    @property
    def owner_list(self) -> list[Attendee]:
        """The owners, as attached by `attach_owners` or else from the database."""
        people = getattr(self, "owner_people", None)
        return list(self.owners.all()) if people is None else people

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def status_badge(self) -> str:
        """The status as a call page's badge shows it ("open"): what
        get_status_display() says, without the dict of every choice it builds,
        translating each label, on every call."""
        try:
            label = self.Status(self.status).label
        except ValueError:  # as get_status_display(): a value no choice names
            label = self.status
        return str(label).lower()


class NotebookUpdate(models.Model):
    """One change typed into a call's live notebook (a Yjs update), stored before
    anyone else sees it; compaction merges the log into one snapshot row."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="notebook_updates"
    )
    data = models.BinaryField(_("update"))
    is_snapshot = models.BooleanField(
        _("snapshot"),
        default=False,
        help_text=_("The merged document up to this row, written by compaction."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="notebook_updates",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["meeting", "pk"]
        verbose_name = _("notebook update")
        verbose_name_plural = _("notebook updates")
        indexes = [models.Index(fields=["meeting", "id"], name="agenda_nbupdate_log")]

    def __str__(self):
        kind = "snapshot" if self.is_snapshot else "update"
        return f"{kind} #{self.pk} of meeting {self.meeting_id}"
