import datetime as dt
import zoneinfo

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxLengthValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import connection, models, transaction
from django.db.models.functions import Coalesce, Concat, Lower, Substr, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from markdownx.models import MarkdownxField
from simple_history.models import HistoricalRecords

from meetings.markdown import (
    github_references,
    link_definitions,
    render_inline,
    render_key,
    render_markdown,
)
from pagecache.models import PublicModel, PublicQuerySet
from people.models import Attendee


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone, e.g. Europe/Rome or UTC."),
            code="invalid_time_zone",
            params={"value": value},
        )


class HttpsURLField(models.URLField):
    """A URL field whose form field adds https:// (not http://) to a bare host."""

    def formfield(self, **kwargs):
        return super().formfield(**{"assume_scheme": "https", **kwargs})


# Every field that is rendered as markdown has a bounded length, so rendering it
# has a bounded cost (meetings.markdown renders in time linear in the text).
NOTES_MAX_CHARS = 100_000
TEXT_MAX_CHARS = 50_000
DESCRIPTION_MAX_CHARS = 20_000


def markdown_length(limit: int) -> MaxLengthValidator:
    """A markdown field's bound, with a message an MC can act on."""
    return MaxLengthValidator(
        limit,
        message=_(
            "Keep this under %(limit_value)d characters (it has %(show_value)d); "
            "split it, or link to a longer document."
        ),
    )


validate_no_control_characters = RegexValidator(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]",
    _("Remove the invisible control characters from this text."),
    code="control_characters",
    inverse_match=True,
)


validate_github_repo = RegexValidator(
    r"^[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}$",
    _("Write the repository as owner/name, e.g. falcosecurity/falco."),
    code="invalid_github_repo",
)


# Stored beside every rendered field, never typed: left out of the history, so a
# restored version is rendered again from its own text.
HTML_FIELDS = ("html_key",)


class RenderedMarkdown(models.Model):
    """A model whose markdown fields keep their sanitized HTML beside them.

    `MARKDOWN_FIELDS` maps each source field to "block" or "inline"; each has a
    `<field>_html` column, written only by `refresh_html` from the one sanitizing
    renderer, and `html_key` says what it was rendered from (the renderer's
    version, the texts and their context). Pages read `obj.html.<field>`.
    """

    MARKDOWN_FIELDS: dict[str, str] = {}

    html_key = models.CharField(
        _("rendered from"), max_length=40, blank=True, editable=False
    )

    class Meta:
        abstract = True

    @classmethod
    def html_columns(cls) -> list[str]:
        return ["html_key", *(f"{field}_html" for field in cls.MARKDOWN_FIELDS)]

    def refresh_html(self, default_repo: str = "", definitions: str = "") -> bool:
        """Render the fields again unless the stored HTML is current; True if it
        was not (the caller stores it: `refresh_rendered`)."""
        self._html_ready = True
        self._html = None
        texts = [getattr(self, field) or "" for field in self.MARKDOWN_FIELDS]
        key = render_key(default_repo, definitions, *texts)
        if key == self.html_key:
            return False
        for (field, kind), text in zip(
            self.MARKDOWN_FIELDS.items(), texts, strict=True
        ):
            render = render_markdown if kind == "block" else render_inline
            setattr(self, f"{field}_html", str(render(text, default_repo, definitions)))
        self.html_key = key
        return True

    @property
    def html(self) -> dict[str, SafeString]:
        """The stored HTML of each markdown field, for a template."""
        if not getattr(self, "_html_ready", False):
            # Showing HTML nobody checked against its text could show stale notes.
            raise RuntimeError(
                f"{type(self).__name__}.html read before refresh_rendered()"
            )
        # Built once: a template reads it once a field.
        if getattr(self, "_html", None) is None:
            self._html = {
                field: mark_safe(getattr(self, f"{field}_html"))
                for field in self.MARKDOWN_FIELDS
            }
        return self._html


def refresh_rendered(objects, default_repo: str = "", definitions: str = "") -> int:
    """Make the stored HTML of `objects` current and store what was rendered again.

    The write goes around PublicQuerySet: what a page shows does not change (it
    showed the fresh HTML either way), so no new site stamp.
    """
    stale: dict[type, list] = {}
    for obj in objects:
        if obj.refresh_html(default_repo, definitions):
            stale.setdefault(type(obj), []).append(obj)
    for model, rows in stale.items():
        model._base_manager.bulk_update(rows, model.html_columns(), batch_size=200)
    return sum(len(rows) for rows in stale.values())


class MeetingSeries(PublicModel):
    """A recurring call, e.g. the weekly community call."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    slug = models.SlugField(
        _("slug"),
        max_length=80,
        unique=True,
        help_text=_("Used in URLs: /calls/<slug>/"),
    )
    title = models.CharField(
        _("title"), max_length=200, help_text=_("e.g. “Example Community Call”.")
    )
    description = MarkdownxField(
        _("description"),
        blank=True,
        help_text=_("What the call is for (markdown)."),
        validators=[
            markdown_length(DESCRIPTION_MAX_CHARS),
            validate_no_control_characters,
        ],
    )
    info_url = HttpsURLField(
        _("more information link"), blank=True, help_text=_("Where to read more.")
    )
    video_url = HttpsURLField(
        _("video-call link"), blank=True, help_text=_("The standing video-call link.")
    )
    github_repo = models.CharField(
        _("default GitHub repository"),
        max_length=140,
        blank=True,
        validators=[validate_github_repo],
        help_text=_("owner/name that a bare “#123” in the notes refers to."),
    )
    weekday = models.PositiveSmallIntegerField(
        _("weekday"),
        choices=Weekday,
        default=Weekday.WEDNESDAY,
        help_text=_("The day the call usually happens."),
    )
    start_time = models.TimeField(
        _("start time"),
        default=dt.time(16, 0),
        help_text=_("Local time in the series' time zone."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text=_("IANA name, e.g. Europe/Rome."),
    )
    interval_weeks = models.PositiveSmallIntegerField(
        _("every N weeks"),
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(52)],
        help_text=_("1 for weekly, 2 for every other week."),
    )
    length_minutes = models.PositiveSmallIntegerField(
        _("default length (minutes)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("How long a call usually lasts."),
    )
    notes_style = models.JSONField(
        _("notes style"),
        default=dict,
        blank=True,
        help_text=_(
            "How the series' imported notes are written (link labels, bullet, "
            "indent, heading levels); edited and new calls export in it."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("meeting series")
        verbose_name_plural = _("meeting series")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interval_weeks__gte=1),
                name="meetings_series_interval_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(length_minutes__gte=1),
                name="meetings_series_length_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(weekday__gte=0, weekday__lte=6),
                name="meetings_series_weekday_valid",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("meetings:series", kwargs={"series": self.slug})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def start_on(self, day: dt.date) -> dt.datetime:
        """The aware start time of this series' call on `day`."""
        return dt.datetime.combine(day, self.start_time, tzinfo=self.tzinfo)

    def next_start_after(self, moment: dt.datetime) -> dt.datetime:
        """The first regular start on the series' weekday strictly after `moment`."""
        local = moment.astimezone(self.tzinfo)
        days_ahead = (self.weekday - local.weekday()) % 7
        candidate = self.start_on(local.date() + dt.timedelta(days=days_ahead))
        if candidate <= moment:
            candidate = self.start_on(candidate.date() + dt.timedelta(days=7))
        return candidate

    def start_following(self, meeting_start: dt.datetime) -> dt.datetime:
        """The start of the call one interval after the one at `meeting_start`."""
        local_day = meeting_start.astimezone(self.tzinfo).date()
        return self.start_on(local_day + dt.timedelta(weeks=self.interval_weeks))


class MeetingQuerySet(PublicQuerySet):
    def finalized(self):
        return self.filter(status=Meeting.Status.FINALIZED)

    def scheduled(self):
        return self.filter(status=Meeting.Status.SCHEDULED)

    def upcoming(self, now=None):
        return self.filter(start__gte=now or timezone.now()).order_by("start")

    def past(self, now=None):
        return self.filter(start__lt=now or timezone.now()).order_by("-start")

    def next_per_series(self, now=None):
        """The next scheduled call of each series, soonest first."""
        upcoming = self.scheduled().upcoming(now)
        first_start = upcoming.filter(series=models.OuterRef("series")).values("start")
        return upcoming.filter(start=models.Subquery(first_start[:1]))

    def in_progress(self, now=None):
        """Calls that may be on now: started, not finalized or cancelled, and not
        longer ago than the longest call could last (check each with
        `Meeting.is_on`, which knows its length)."""
        now = now or timezone.now()
        return self.filter(
            status__in=[Meeting.Status.SCHEDULED, Meeting.Status.HELD],
            start__lte=now,
            start__gt=now - MAX_CALL_LENGTH - ON_AFTER_END,
        )

    def for_series(self, slug: str):
        return self.filter(series__slug=slug)

    def on_date_key(self, date_key: str):
        """The meeting a URL's "2020-09-16" or "2020-09-16-2" names."""
        try:
            day, ordinal = Meeting.parse_date_key(date_key)
        except ValueError:
            return self.none()
        return self.filter(date=day, ordinal=ordinal)

    def locked(self, pk: int, *, related: tuple[str, ...] = ()) -> "Meeting":
        """The meeting read again with its row locked until the transaction ends.

        Call inside `transaction.atomic()`. On PostgreSQL a second writer waits here
        for the first to commit, then reads what it wrote (SQLite locks the whole
        database on write).
        """
        return (
            self.select_for_update(of=("self",))
            .select_related("series", "finalized_by", *related)
            .get(pk=pk)
        )

    def with_counts(self):
        """Annotate attendee and agenda-item counts without multiplying rows."""
        return self.annotate(
            attendee_count=_count_of("attendances"),
            agenda_item_count=_count_of("agenda_items"),
        )

    def refresh_search_documents(self) -> int:
        """Recompose the search text of these meetings (after bulk writes)."""
        meetings = list(
            self.select_related("series").prefetch_related("agenda_items").order_by()
        )
        for meeting in meetings:
            meeting.search_document = meeting.compose_search_document(
                meeting.agenda_items.all()
            )
        rows = self.model.objects.bulk_update(
            meetings, ["search_document"], batch_size=500
        )
        self.model.objects.filter(
            pk__in=[m.pk for m in meetings]
        ).update_search_vectors()
        return rows

    def update_search_vectors(self) -> None:
        """Store each meeting's tsvector (PostgreSQL), so search never recomputes it."""
        if connection.vendor == "postgresql":
            # No new site stamp: no cached page shows the vector (search is not
            # cached), and the write that changed the text has bumped it already.
            models.QuerySet.update(self, search_vector=search_vector())

    def search(self, query: str):
        """Finalized meetings whose title, notes, highlights or agenda match `query`.

        Both backends read the stored `search_document`. On PostgreSQL: full-text
        search (English stemming, web-search syntax) answered from the GIN index on
        SEARCH_VECTOR, ranked, each row annotated with `rank` and a `headline` whose
        matches are wrapped in meetings.markdown's HEADLINE_START/STOP sentinels.
        Elsewhere (SQLite): every word must appear, case-insensitively, newest
        first; `headline` is the start of the highlights and notes.
        """
        query = " ".join((query or "").split())
        if not query:
            return self.none()
        meetings = self.finalized()
        if connection.vendor == "postgresql":
            return meetings._full_text_search(query)
        for word in query.split()[:SEARCH_MAX_WORDS]:
            meetings = meetings.filter(
                models.Q(title__icontains=word)
                | models.Q(search_document__icontains=word)
            )
        return meetings.annotate(
            rank=models.Value(0.0),
            headline=Substr(
                Concat("highlights", models.Value(" "), "notes"),
                1,
                SEARCH_SNIPPET_CHARS,
                output_field=models.TextField(),
            ),
        ).order_by("-start", "-ordinal")

    def _full_text_search(self, query: str):
        from django.contrib.postgres.search import (
            SearchHeadline,
            SearchQuery,
            SearchRank,
        )

        from meetings.markdown import HEADLINE_START, HEADLINE_STOP

        search_query = SearchQuery(query, search_type="websearch", config="english")
        return (
            self.filter(search_vector=search_query)
            .annotate(
                rank=SearchRank(models.F("search_vector"), search_query),
                headline=SearchHeadline(
                    "search_document",
                    search_query,
                    config="english",
                    start_sel=HEADLINE_START,
                    stop_sel=HEADLINE_STOP,
                    max_words=35,
                    min_words=15,
                    max_fragments=2,
                    fragment_delimiter=" … ",
                ),
            )
            .order_by("-rank", "-start", "-ordinal")
        )


def search_vector():
    """What a meeting's stored `search_vector` is computed from.

    The meeting's own title weighs most; everything else is in `search_document`.
    """
    from django.contrib.postgres.search import SearchVector

    return SearchVector("title", weight="A", config="english") + SearchVector(
        "search_document", weight="C", config="english"
    )


SEARCH_MAX_WORDS = 10
# A call is "on" from its start until a while after its scheduled end (calls run
# over; check-in stays open as long).
MAX_CALL_LENGTH = dt.timedelta(minutes=600)
ON_AFTER_END = dt.timedelta(minutes=30)
SEARCH_SNIPPET_CHARS = 300


def _count_of(relation: str) -> models.Expression:
    """A correlated COUNT of the outer meeting's `relation` (a reverse relation's
    name): one subquery per count, so two counts never multiply each other's rows."""
    rows = (
        Meeting.objects.filter(pk=models.OuterRef("pk"))
        .order_by()
        .values("pk")
        .annotate(n=models.Count(relation))
        .values("n")
    )
    return Coalesce(models.Subquery(rows), 0)


class Meeting(RenderedMarkdown, PublicModel):
    """One call of a series: its agenda before, its notes after."""

    MARKDOWN_FIELDS = {
        "highlights": "block",
        "notes": "block",
        "next_release": "inline",
    }

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        HELD = "held", _("Held, notes in progress")
        FINALIZED = "finalized", _("Finalized")
        CANCELLED = "cancelled", _("Cancelled")

    series = models.ForeignKey(
        MeetingSeries,
        on_delete=models.PROTECT,
        related_name="meetings",
        verbose_name=_("series"),
    )
    start = models.DateTimeField(_("start"), help_text=_("When the call starts."))
    date = models.DateField(
        _("date"), editable=False, help_text=_("The start's date in the series' zone.")
    )
    ordinal = models.PositiveSmallIntegerField(
        _("ordinal"),
        default=1,
        validators=[MinValueValidator(1)],
        help_text=_("1 normally; 2 for a rare second call on the same date."),
    )
    title = models.CharField(
        _("title"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty to use the series title."),
        validators=[validate_no_control_characters],
    )
    length_minutes = models.PositiveSmallIntegerField(
        _("length (minutes)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(600)],
        help_text=_("Leave empty to use the series' default length."),
    )
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=Status,
        default=Status.SCHEDULED,
        help_text=_("Finalized notes are public and locked."),
    )
    mc = models.ForeignKey(
        Attendee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mc_meetings",
        verbose_name=_("MC"),
        help_text=_("The master of ceremonies of this call."),
    )
    attendees = models.ManyToManyField(
        Attendee,
        through="Attendance",
        related_name="meetings",
        blank=True,
        verbose_name=_("who joined"),
    )
    highlights = MarkdownxField(
        _("highlights"),
        blank=True,
        help_text=_("This week's highlights (markdown)."),
        validators=[markdown_length(TEXT_MAX_CHARS), validate_no_control_characters],
    )
    notes = MarkdownxField(
        _("free notes"),
        blank=True,
        help_text=_("Anything that is not an agenda item (markdown)."),
        validators=[markdown_length(NOTES_MAX_CHARS), validate_no_control_characters],
    )
    info_url = HttpsURLField(
        _("more information link"),
        blank=True,
        help_text=_("Leave empty to use the series' link."),
    )
    video_url = HttpsURLField(
        _("video-call link"),
        blank=True,
        help_text=_("Leave empty to use the series' standing link."),
    )
    recording_url = HttpsURLField(
        _("recording link"), blank=True, help_text=_("Added once the video is up.")
    )
    next_mc = models.ForeignKey(
        Attendee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="next_mc_meetings",
        verbose_name=_("MC next call"),
        help_text=_("Who volunteered to MC the next call."),
    )
    next_release = models.CharField(
        _("next release"),
        max_length=500,
        blank=True,
        help_text=_("The closing line, e.g. “lead Ann, help Bo, on 17 Sept”."),
    )
    finalized_at = models.DateTimeField(_("finalized at"), null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="finalized_meetings",
        verbose_name=_("finalized by"),
    )
    version = models.PositiveIntegerField(
        _("version"),
        default=1,
        editable=False,
        help_text=_("Bumped on every save; a stale edit form is refused."),
    )
    source_file = models.CharField(
        _("imported from"),
        max_length=300,
        blank=True,
        help_text=_("File these notes were imported from, if any."),
    )
    source_lines = models.CharField(
        _("source lines"), max_length=40, blank=True, help_text=_("e.g. “12-80”.")
    )
    source_hash = models.CharField(
        _("source hash"),
        max_length=64,
        blank=True,
        db_index=True,
        help_text=_("SHA-256 of the imported text, to recognise it again."),
    )
    source_text = models.TextField(
        _("source text"),
        blank=True,
        editable=False,
        help_text=_(
            "The imported call's notes exactly as the file had them, exported "
            "unchanged while nobody edits the call."
        ),
    )
    source_fingerprint = models.CharField(
        _("source fingerprint"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("SHA-256 of the fields as imported; an edit changes them."),
    )
    front_matter = models.TextField(
        _("front matter"),
        blank=True,
        help_text=_("The YAML or TOML block that opened the imported file."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    search_document = models.TextField(
        _("search document"),
        blank=True,
        editable=False,
        help_text=_("Notes and agenda as plain text, for full-text search."),
    )

    # PostgreSQL's tsvector of the title and `search_document`, kept by
    # refresh_search_documents(); NULL (unused) on SQLite.
    search_vector = SearchVectorField(null=True, editable=False)

    highlights_html = models.TextField(blank=True, editable=False)
    notes_html = models.TextField(blank=True, editable=False)
    next_release_html = models.TextField(blank=True, editable=False)

    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "search_document",
            "search_vector",
            "source_text",
            "source_fingerprint",
            *HTML_FIELDS,
            "highlights_html",
            "notes_html",
            "next_release_html",
        ]
    )
    objects = MeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-start", "-ordinal"]
        get_latest_by = "start"
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        # change_meeting alone lets an MC edit the calls they MC; these widen it.
        permissions = [
            ("edit_any_meeting", _("Can edit any meeting, not only those they MC")),
            ("reopen_meeting", _("Can reopen finalized notes")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "date", "ordinal"],
                name="meetings_meeting_unique_series_date_ordinal",
                violation_error_message=_(
                    "This series already has a call on this date; use ordinal 2 "
                    "for a second call."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(ordinal__gte=1),
                name="meetings_meeting_ordinal_positive",
            ),
            models.CheckConstraint(
                condition=models.Q(length_minutes__isnull=True)
                | models.Q(length_minutes__gte=1),
                name="meetings_meeting_length_positive",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-start"], name="meetings_status_start"),
            models.Index(fields=["series", "-start"], name="meetings_series_start"),
            # The calls before and after one (meetings.views.neighbours): a row
            # comparison on (start, ordinal) reads one index entry, not the series.
            models.Index(
                fields=["series", "start", "ordinal"],
                name="meetings_series_start_ordinal",
            ),
            # Finalized calls by date: a window of the references page.
            models.Index(fields=["status", "date"], name="meetings_status_date"),
            # Open action items per series (home, the call page): their calls
            # read from this index alone, not from the table of whole notes,
            # which a join of every finalized call would scan. PostgreSQL only:
            # SQLite ignores INCLUDE and keeps a plain (status, series) index.
            models.Index(
                fields=["status", "series"],
                include=["id", "start", "date", "ordinal"],
                name="meetings_status_series_cover",
            ),
        ]

    def __str__(self):
        return f"{self.display_title} — {self.date_key}"

    def save(self, *args, **kwargs):
        if self.start and self.series_id:
            self.date = self.start.astimezone(self.series.tzinfo).date()
        # Search looks in finalized notes only: their text is written when they
        # are finalized (or imported, or saved again while finalized).
        searchable = self.series_id and self.is_finalized
        if searchable:
            items = self.agenda_items.all() if self.pk else []
            self.search_document = self.compose_search_document(items)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "search_document"}
        super().save(*args, **kwargs)
        if searchable:
            Meeting.objects.filter(pk=self.pk).update_search_vectors()

    def get_absolute_url(self):
        return reverse(
            "meetings:detail",
            kwargs={"series": self.series.slug, "date_key": self.date_key},
        )

    def clean(self):
        super().clean()
        if self.start and self.series_id:
            self.date = self.start.astimezone(self.series.tzinfo).date()

    @staticmethod
    def parse_date_key(date_key: str) -> tuple[dt.date, int]:
        """Split a URL's date key: "2020-09-16-2" -> (date, 2); ValueError if bad."""
        day, _sep, ordinal = date_key[:10], date_key[10:11], date_key[11:]
        parsed = dt.date.fromisoformat(day)
        if not ordinal:
            return parsed, 1
        if not ordinal.isdigit() or int(ordinal) < 2:
            raise ValueError(f"bad ordinal in {date_key!r}")
        return parsed, int(ordinal)

    @property
    def date_key(self) -> str:
        day = self.date.isoformat() if self.date else ""
        return day if self.ordinal == 1 else f"{day}-{self.ordinal}"

    @property
    def display_title(self) -> str:
        return self.title or self.series.title

    @property
    def length(self) -> int:
        return self.length_minutes or self.series.length_minutes

    @property
    def end(self) -> dt.datetime:
        return self.start + dt.timedelta(minutes=self.length)

    @property
    def effective_video_url(self) -> str:
        return self.video_url or self.series.video_url

    @property
    def effective_info_url(self) -> str:
        return self.info_url or self.series.info_url

    @property
    def is_finalized(self) -> bool:
        return self.status == self.Status.FINALIZED

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    @cached_property
    def link_definitions(self) -> str:
        """The link reference definitions of all the call's markdown: a file defines
        its links once, and the importer spreads its text over several fields."""
        texts = [self.highlights, self.notes]
        for item in getattr(self, "agenda", None) or []:
            texts += [item.description, item.discussion_notes]
        return link_definitions(*texts)

    def has_started(self, now=None) -> bool:
        return self.start <= (now or timezone.now())

    def proposals_open(self, now=None, *, late: bool = False) -> bool:
        """Whether people may propose items (and edit or withdraw theirs).

        On time: until the call starts, while it is still scheduled. With `late`:
        also after the start until the notes are finalized, a proposal then kept
        as late for the MC to take or defer.
        """
        if late:
            return self.status in (self.Status.SCHEDULED, self.Status.HELD)
        return self.status == self.Status.SCHEDULED and not self.has_started(now)

    def is_on(self, now=None) -> bool:
        """The call is happening: started, not over (plus a margin), not closed."""
        now = now or timezone.now()
        return (
            self.status in (self.Status.SCHEDULED, self.Status.HELD)
            and self.start <= now <= self.end + ON_AFTER_END
        )

    def compose_search_document(self, agenda_items) -> str:
        """The text search looks in besides the title: series, notes and agenda.

        Only the agenda items the public notes show (`is_in_notes`): a declined or
        withdrawn proposal must not surface in results or their snippets.
        """
        parts = [self.series.title, self.highlights, self.notes]
        for item in agenda_items:
            if item.is_in_notes:
                parts += [item.title, item.description, item.discussion_notes]
        return "\n".join(part for part in parts if part)

    def notes_are_public(self) -> bool:
        """Notes are public once finalized; before that only the agenda is."""
        return self.is_finalized

    def format_moment(self, moment: dt.datetime) -> str:
        """A time as the series' people read it, e.g. "2024-05-01 16:05 CEST"."""
        return moment.astimezone(self.series.tzinfo).strftime("%Y-%m-%d %H:%M %Z")

    def save_new_version(
        self,
        *,
        user: AbstractBaseUser | None,
        reason: str,
        update_fields: list[str] | None = None,
    ) -> None:
        """Save as the next version; its history record says who and why.

        Any open edit form loaded at the previous version becomes stale.
        """
        self.version += 1
        self._history_user = user
        self._change_reason = reason[:100]
        self.save(update_fields=update_fields)

    def log_change(self, *, user: AbstractBaseUser | None, message: str) -> None:
        """Write the admin's log entry ("Recent actions", object history)."""
        if user is None or not user.is_authenticated:
            return
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[self],
            action_flag=CHANGE,
            change_message=message,
            single_object=True,
        )

    def following(self) -> "Meeting | None":
        """The series' next call after this one, if it is already scheduled.

        That is the first call (not cancelled) after it, provided it falls no later
        than the date the recurrence gives; a call further out means the regular
        one in between is still missing.
        """
        regular = self.series.start_following(self.start)
        candidate = (
            Meeting.objects.filter(series=self.series_id, start__gt=self.start)
            .exclude(status=Meeting.Status.CANCELLED)
            .select_related("series", "mc")
            .order_by("start", "ordinal")
            .first()
        )
        if (
            candidate
            and candidate.date <= regular.astimezone(self.series.tzinfo).date()
        ):
            return candidate
        return None

    def create_next(self, *, user: AbstractBaseUser | None, reason: str) -> "Meeting":
        """Schedule the series' next call from the recurrence, its MC this call's
        "MC next call". A regular slot taken by a cancelled call moves the new one
        a further interval on. (Check `following()` first.)"""
        start = self.series.start_following(self.start)
        for _attempt in range(52):
            day = start.astimezone(self.series.tzinfo).date()
            if not Meeting.objects.filter(
                series=self.series_id, date=day, ordinal=1
            ).exists():
                break
            start = self.series.start_following(start)
        next_meeting = Meeting(
            series=self.series,
            start=start,
            mc_id=self.next_mc_id,
            status=Meeting.Status.SCHEDULED,
        )
        next_meeting._history_user = user
        next_meeting._change_reason = reason[:100]
        next_meeting.save()
        return next_meeting

    def github_references_in_notes(self) -> set[tuple[str, str, int]]:
        """Every issue or PR that the meeting's markdown links to, as rendered.

        Reads highlights, free notes and each agenda item's description, discussion
        notes and links, through reverse accessors so meetings never imports agenda.
        """
        default_repo = self.series.github_repo
        texts = [self.highlights, self.notes]
        for item in self.agenda_items.all():
            texts += [item.description, item.discussion_notes, item.links]
        found: dict[tuple[str, str, int], tuple[str, str, int]] = {}
        for text in texts:
            for owner, repo, number in github_references(text or "", default_repo):
                # One row per issue however its owner/repo was capitalised.
                found.setdefault(
                    (owner.lower(), repo.lower(), number), (owner, repo, number)
                )
        return set(found.values())

    def sync_github_references(self) -> list["GitHubReference"]:
        """Store exactly the references the meeting's notes make; return them.

        Call it after a meeting's notes or agenda change (save, finalize, import).
        """
        wanted = self.github_references_in_notes()
        wanted_keys = {(o.lower(), r.lower(), n): (o, r, n) for o, r, n in wanted}
        with transaction.atomic():
            keep, stale = [], []
            for ref in self.github_refs.all():
                key = (ref.owner.lower(), ref.repo.lower(), ref.number)
                if wanted_keys.pop(key, None):
                    keep.append(ref)
                else:
                    stale.append(ref.pk)
            if stale:
                GitHubReference.objects.filter(pk__in=stale).delete()
            created = GitHubReference.objects.bulk_create(
                [
                    GitHubReference(meeting=self, owner=o, repo=r, number=n)
                    for o, r, n in sorted(wanted_keys.values())
                ]
            )
        return sorted(keep + created, key=lambda ref: (ref.owner, ref.repo, ref.number))


class PartOfCall(models.Model):
    """A row a call's page shows (attendance, agenda item, action item, release
    team). It remembers the call it was loaded with, so that moving it to another
    call also drops the stored page of the call it left (meetings.published)."""

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db, field_names, values):
        row = super().from_db(db, field_names, values)
        row.loaded_meeting_id = row.__dict__.get("meeting_id")
        return row


class Attendance(PartOfCall, PublicModel):
    """That a person joined a call, and in what role."""

    class Role(models.TextChoices):
        ATTENDEE = "attendee", _("Attendee")
        PRESENTER = "presenter", _("Presenter")
        GUEST = "guest", _("Guest")

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        related_name="attendances",
        # meetings_attendance_unique (meeting, attendee) serves every lookup.
        db_index=False,
    )
    attendee = models.ForeignKey(
        Attendee,
        on_delete=models.PROTECT,
        related_name="attendances",
        # meetings_attendance_person (attendee, meeting) serves every lookup.
        db_index=False,
    )
    role = models.CharField(
        _("role"),
        max_length=16,
        choices=Role,
        default=Role.ATTENDEE,
        help_text=_("What the person did on the call."),
    )
    first_time = models.BooleanField(
        _("first time"), default=False, help_text=_("Their first call: say welcome!")
    )
    position = models.PositiveIntegerField(
        _("position"), default=0, help_text=_("Order in the “Who joined” list.")
    )
    written_as = models.CharField(
        _("as written"),
        max_length=300,
        blank=True,
        help_text=_(
            "The line in imported notes when it says more than the person's name "
            "and handle (another spelling, a nickname, an affiliation)."
        ),
    )

    class Meta:
        ordering = ["meeting", "position", "pk"]
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "attendee"],
                name="meetings_attendance_unique",
                violation_error_message=_("This person is already listed as joined."),
            ),
        ]
        indexes = [
            # A person's calls, read from the index alone (their page counts and
            # matches thousands of them).
            models.Index(
                fields=["attendee", "meeting"], name="meetings_attendance_person"
            ),
        ]

    def __str__(self):
        return f"{self.attendee} at {self.meeting}"


class CheckIn(models.Model):
    """Someone said "I'm here" on a call's check-in page, as a GitHub handle.

    Anyone can type any handle, so an unverified check-in adds nobody: it waits
    until the MC confirms it (meetings.services.confirm_check_ins), which lists the
    person as joined. A verified one (confirmed, or proven by signing in as that
    handle) has done so. Not shown on the public site, so writing one does not
    touch the page cache.
    """

    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        related_name="check_ins",
        verbose_name=_("call"),
    )
    github_handle = models.CharField(
        _("GitHub handle"), max_length=39, help_text=_("As typed, without the @.")
    )
    verified = models.BooleanField(
        _("verified"),
        default=False,
        help_text=_(
            "Confirmed by the MC, or signed in as this handle: the person is then "
            "listed as joined."
        ),
    )
    attendee = models.ForeignKey(
        Attendee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="check_ins",
        verbose_name=_("person"),
        help_text=_("Set once verified."),
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("confirmed by"),
    )
    created_at = models.DateTimeField(_("checked in"), auto_now_add=True)
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)

    class Meta:
        ordering = ["meeting", "created_at", "pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(
                "meeting",
                Lower("github_handle"),
                name="meetings_checkin_unique_handle",
                violation_error_message=_("This handle already checked in."),
            ),
        ]

    def __str__(self):
        state = "verified" if self.verified else "unverified"
        return f"@{self.github_handle} at {self.meeting} ({state})"


class ReleaseTeamQuerySet(PublicQuerySet):
    def in_progress(self, *, series_id: int):
        """Release teams of the series (or of no call) that have not shipped yet."""
        return (
            self.filter(released_on__isnull=True)
            .filter(
                models.Q(meeting__series_id=series_id) | models.Q(meeting__isnull=True)
            )
            .select_related("lead")
            .prefetch_related("members")
            .order_by("planned_date", "version")
        )


class ReleaseTeam(PartOfCall, PublicModel):
    """The people who volunteered to cut one release."""

    version = models.CharField(
        _("version"),
        max_length=40,
        unique=True,
        help_text=_("The release, e.g. 0.26.0."),
    )
    lead = models.ForeignKey(
        Attendee,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="led_release_teams",
        verbose_name=_("lead"),
        help_text=_("Who leads the release."),
    )
    members = models.ManyToManyField(
        Attendee,
        related_name="release_teams",
        blank=True,
        verbose_name=_("helpers"),
        help_text=_("Who helps the lead."),
    )
    planned_date = models.DateField(
        _("planned date"), null=True, blank=True, help_text=_("When it should ship.")
    )
    released_on = models.DateField(
        _("released on"), null=True, blank=True, help_text=_("When it shipped.")
    )
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="release_teams",
        verbose_name=_("formed at"),
        help_text=_("The call where the team was formed or announced."),
    )
    notes = MarkdownxField(
        _("notes"), blank=True, help_text=_("Next steps, links (markdown).")
    )

    objects = ReleaseTeamQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_date", "-version"]
        verbose_name = _("release team")
        verbose_name_plural = _("release teams")
        constraints = [
            models.UniqueConstraint(
                Lower("version"),
                name="meetings_releaseteam_unique_version_ci",
                violation_error_message=_("A team for this release exists."),
            ),
        ]

    def __str__(self):
        return f"Release team {self.version}"

    def get_absolute_url(self):
        return reverse("meetings:releases") + f"#release-{self.version}"


class PublishedPage(models.Model):
    """The rendered notes of a finalized call, stored until a write changes them.

    Not a cache with an expiry: a write to the call, its rows or the people and
    series it shows deletes the row (meetings.published), and a page rendered by
    other code (`version`) is rendered again. The call page then serves its notes
    from this one row instead of ~6 queries and a template render. Deriving it
    is not a public write, so it never bumps the site stamp.
    """

    meeting = models.OneToOneField(
        Meeting,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="published_page",
    )
    # Who may store a render here: the reader that claimed the row before it read
    # the call (meetings.published.store), so a render of older data never lands.
    token = models.CharField(max_length=32)
    version = models.CharField(max_length=64, blank=True)
    description = models.TextField(blank=True)
    body = models.TextField(blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("published page")
        verbose_name_plural = _("published pages")

    def __str__(self):
        return f"Published page of {self.meeting_id}"


class GitHubReference(PublicModel):
    """An issue or pull request that a meeting's notes mention."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="github_refs"
    )
    owner = models.CharField(_("owner"), max_length=39)
    repo = models.CharField(_("repository"), max_length=100)
    number = models.PositiveIntegerField(_("number"))

    class Meta:
        ordering = ["owner", "repo", "number"]
        verbose_name = _("GitHub reference")
        verbose_name_plural = _("GitHub references")
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "owner", "repo", "number"],
                name="meetings_githubref_unique",
            ),
        ]
        indexes = [
            # The page of one issue matches owner and repository case-blind
            # (iexact, which PostgreSQL compares as UPPER()).
            models.Index(
                Upper("owner"), Upper("repo"), "number", name="meetings_ref_lookup"
            ),
        ]

    def __str__(self):
        return f"{self.owner}/{self.repo}#{self.number}"

    def get_absolute_url(self):
        return reverse(
            "meetings:ref",
            kwargs={"owner": self.owner, "repo": self.repo, "number": self.number},
        )

    @property
    def github_url(self) -> str:
        # /issues/N redirects to /pull/N on GitHub, so one form serves both.
        return f"https://github.com/{self.owner}/{self.repo}/issues/{self.number}"


class RoleGrant(models.Model):
    """A role given to a person by handle: Maintainer, or note-taker of one call.

    The MC of a call is the call's own `mc` field; granting MC sets it. A grant
    holds for the person whether or not they have signed in yet: their account
    gets the rights at sign-in (meetings/roles.py).
    """

    class Role(models.TextChoices):
        MAINTAINER = "maintainer", _("Maintainer")
        NOTE_TAKER = "note_taker", _("Note-taker for this call")

    attendee = models.ForeignKey(
        Attendee,
        on_delete=models.CASCADE,
        related_name="role_grants",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_grants",
        verbose_name=_("call"),
        help_text=_("The call a note-taker takes notes for."),
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    class Meta:
        ordering = ["role", "-granted_at"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [
            models.UniqueConstraint(
                fields=["attendee", "role"],
                condition=models.Q(meeting__isnull=True),
                name="meetings_rolegrant_unique_site_role",
                violation_error_message=_("This person has this role already."),
            ),
            models.UniqueConstraint(
                fields=["attendee", "role", "meeting"],
                name="meetings_rolegrant_unique_call_role",
                violation_error_message=_("This person has this role already."),
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="maintainer", meeting__isnull=True)
                    | models.Q(role="note_taker", meeting__isnull=False)
                ),
                name="meetings_rolegrant_call_only_for_note_takers",
                violation_error_message=_(
                    "A note-taker is granted for one call; a Maintainer for none."
                ),
            ),
        ]

    def __str__(self):
        role = self.get_role_display()
        if self.meeting_id:
            return f"{self.attendee}: {role} ({self.meeting})"
        return f"{self.attendee}: {role}"


class RoleChange(models.Model):
    """The log of roles given and taken away: who, whom, what, when."""

    class Action(models.TextChoices):
        GRANTED = "granted", _("granted")
        REMOVED = "removed", _("removed")

    action = models.CharField(_("action"), max_length=8, choices=Action)
    role = models.CharField(_("role"), max_length=16)
    handle = models.CharField(_("GitHub handle"), max_length=39)
    meeting = models.ForeignKey(
        Meeting,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("call"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    by_name = models.CharField(
        _("by (as then)"),
        max_length=150,
        blank=True,
        help_text=_("Who did it, kept when their account goes."),
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("role change")
        verbose_name_plural = _("role changes")

    def __str__(self):
        where = f" for {self.meeting}" if self.meeting_id else ""
        return (
            f"{self.by_name or 'command line'} {self.action} {self.role}{where} "
            f"to @{self.handle}"
        )
