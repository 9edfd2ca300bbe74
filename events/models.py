"""The registration engine: activities, sessions, bookings, registrations, waitlist offers and lotteries.

Every service area books through these tables: a summer class (youth), a clinic day (elders), a baking
training (employment), a consultation meeting (deliberation), the mini-marathon (events itself).

Vocabulary
----------
* **Activity**: what people sign up for, with its audience rule, booking windows and allocation mode.
* **Session**: one date and time of an activity, with a capacity.
* **Pool**: what a seat is taken from. With ``registration_scope=SESSION`` (a clinic day, a one-off event)
  each session is its own pool and people book a session; with ``COURSE`` (a summer class of 10 meetings)
  one registration covers every session and the pool is the activity (``Activity.capacity``).
* **Booking**: one act of booking by one user, for one or more persons (a mother and her two children),
  possibly by staff on a resident's behalf.
* **Registration**: one person in one pool; at most one active registration per person per pool
  (database constraint).
* **Unit**: what a seat is: a person (``capacity_unit=PERSON``) or a family, i.e. a booking
  (``capacity_unit=FAMILY``: the parent-child pair at the marathon counts once).
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def new_token() -> str:
    """An unguessable ticket token: 160 random bits, URL-safe."""
    return secrets.token_urlsafe(20)


class Area(models.TextChoices):
    COMMUNITY = "community", _("Community life")
    ELDERS = "elders", _("Elders")
    YOUTH = "youth", _("Children and youth")
    EMPLOYMENT = "employment", _("Employment")
    DELIBERATION = "deliberation", _("Deliberation")


class AllocationMode(models.TextChoices):
    FCFS = "fcfs", _("First come, first served")
    LOTTERY = "lottery", _("Application, then lottery")


class CapacityUnit(models.TextChoices):
    PERSON = "person", pgettext_lazy("capacity unit", "Persons")
    FAMILY = "family", _("Families")


class RegistrationScope(models.TextChoices):
    SESSION = "session", _("Each session is booked on its own")
    COURSE = "course", _("One registration covers every session")


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    ARCHIVED = "archived", _("Archived")


class EarlyWindowFor(models.TextChoices):
    RESIDENTS = "residents", _("Residents of this community")
    GROUP = "group", _("A target group")


class TargetGroup(models.Model):
    """A named group of residents an activity is for, or gets priority: job-seeking women, registered
    unemployed, families not yet placed this summer. Members are kept by staff or by a service area."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    members = models.ManyToManyField(
        "community.Person", verbose_name=_("members"), blank=True, related_name="target_groups"
    )

    class Meta:
        verbose_name = _("target group")
        verbose_name_plural = _("target groups")
        ordering = ["name"]

    def __str__(self):
        return self.name


class PoolCounters(models.Model):
    """What the booking decision needs, on the row the booking locks (a session, or a course's activity).

    ``pool_seats_taken`` are the seats held (confirmed or offered: persons, or bookings when the activity
    counts families), ``pool_waitlisted`` the persons on the waitlist and ``pool_last_queue_no`` the
    highest waitlist number given. The booking service updates them in the statement that claims the
    seat; every other writer recounts them from the registrations under the same lock
    (``events.services._pool.pool_recount``). Never edited by hand and never written by ``save()``.
    """

    pool_seats_taken = models.PositiveIntegerField(_("seats taken"), default=0, editable=False)
    pool_waitlisted = models.PositiveIntegerField(_("people on the waitlist"), default=0, editable=False)
    pool_last_queue_no = models.PositiveIntegerField(
        _("last waitlist number given"), default=0, editable=False
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        # A form or an admin page holds the counters as they were read: writing them back would undo a
        # booking made meanwhile. Only a new row writes them (as zero); the engine updates them itself.
        if not self._state.adding and not kwargs.get("force_insert") and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.attname
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in POOL_COUNTER_FIELDS
            ]
        super().save(*args, **kwargs)


POOL_COUNTER_FIELDS = ("pool_seats_taken", "pool_waitlisted", "pool_last_queue_no")


class ActivityQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=ActivityStatus.PUBLISHED)


class Activity(PoolCounters):
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    area = models.CharField(_("area"), max_length=20, choices=Area.choices, default=Area.COMMUNITY)
    organiser_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("organiser (staff)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="organised_activities",
    )
    organiser_org = models.ForeignKey(
        "community.Organization",
        verbose_name=_("organiser (partner organisation)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    place = models.CharField(_("place"), max_length=200)
    status = models.CharField(
        _("status"), max_length=20, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )

    allocation = models.CharField(
        _("allocation"), max_length=10, choices=AllocationMode.choices, default=AllocationMode.FCFS
    )
    capacity_unit = models.CharField(
        _("capacity counted in"), max_length=10, choices=CapacityUnit.choices, default=CapacityUnit.PERSON
    )
    registration_scope = models.CharField(
        _("booked as"), max_length=10, choices=RegistrationScope.choices, default=RegistrationScope.SESSION
    )
    capacity = models.PositiveIntegerField(
        _("capacity of the course"),
        null=True,
        blank=True,
        help_text=_(
            "For an activity booked as a whole course; a session-by-session activity uses each session's capacity."
        ),
    )

    # Audience rule
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    residents_only = models.BooleanField(_("residents of this community only"), default=False)
    target_group = models.ForeignKey(
        TargetGroup,
        verbose_name=_("only for"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="activities",
    )
    max_per_household = models.PositiveSmallIntegerField(_("maximum per household"), null=True, blank=True)
    adults_accompany = models.BooleanField(
        _("children come with an adult"),
        default=False,
        help_text=_(
            "A parent-and-child activity: the age range is for the children; the guardian booked with them "
            "is not held to it."
        ),
    )

    # Booking windows
    booking_opens_at = models.DateTimeField(_("booking opens"), null=True, blank=True)
    booking_closes_at = models.DateTimeField(_("booking closes"), null=True, blank=True)
    early_opens_at = models.DateTimeField(
        _("early booking opens"),
        null=True,
        blank=True,
        help_text=_("Before the general window, for a priority group."),
    )
    early_for = models.CharField(
        _("early booking for"), max_length=20, choices=EarlyWindowFor.choices, blank=True, default=""
    )
    early_group = models.ForeignKey(
        TargetGroup,
        verbose_name=_("early booking group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="early_activities",
    )
    cancel_hours_before = models.PositiveIntegerField(
        _("cancellation possible until (hours before the start)"), default=24
    )
    waitlist_enabled = models.BooleanField(_("waitlist"), default=True)
    offer_hold_hours = models.PositiveIntegerField(_("hours to accept a waitlist offer"), default=24)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(organiser_user__isnull=False) | Q(organiser_org__isnull=False),
                name="activity_has_organiser",
                violation_error_message=_("Give the organiser: a staff member or a partner organisation."),
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lte=F("max_age")),
                name="activity_age_range_ordered",
                violation_error_message=_("The minimum age cannot be above the maximum age."),
            ),
            models.CheckConstraint(
                condition=Q(booking_opens_at__isnull=True)
                | Q(booking_closes_at__isnull=True)
                | Q(booking_opens_at__lt=F("booking_closes_at")),
                name="activity_window_ordered",
                violation_error_message=_("Booking must open before it closes."),
            ),
            models.CheckConstraint(
                condition=Q(early_opens_at__isnull=True)
                | (Q(booking_opens_at__isnull=False) & Q(early_opens_at__lt=F("booking_opens_at"))),
                name="activity_early_window_before_general",
                violation_error_message=_(
                    "Early booking must open before the general booking window, which then needs an opening time."
                ),
            ),
            models.CheckConstraint(
                condition=Q(early_opens_at__isnull=True) | ~Q(early_for=""),
                name="activity_early_window_has_group",
                violation_error_message=_("Say who may book early."),
            ),
            models.CheckConstraint(
                condition=~Q(early_for=EarlyWindowFor.GROUP) | Q(early_group__isnull=False),
                name="activity_early_group_set",
                violation_error_message=_("Choose the target group that may book early."),
            ),
            models.CheckConstraint(
                condition=~Q(registration_scope=RegistrationScope.COURSE) | Q(capacity__isnull=False),
                name="activity_course_has_capacity",
                violation_error_message=_(
                    "An activity booked as a whole course needs the capacity of the course."
                ),
            ),
            models.CheckConstraint(condition=Q(offer_hold_hours__gte=1), name="activity_offer_hold_positive"),
        ]

    def __str__(self):
        return self.title

    @property
    def is_course(self) -> bool:
        return self.registration_scope == RegistrationScope.COURSE

    @property
    def is_lottery(self) -> bool:
        return self.allocation == AllocationMode.LOTTERY

    @property
    def counts_families(self) -> bool:
        return self.capacity_unit == CapacityUnit.FAMILY

    @property
    def organiser_display(self) -> str:
        return str(self.organiser_org or self.organiser_user or "")


class PriorityTier(models.Model):
    """A lottery tier: entries with a member of ``group`` (or residents) are drawn before lower tiers.

    Rank 1 is drawn first; entries in no tier are drawn last."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="priority_tiers", verbose_name=_("activity")
    )
    rank = models.PositiveSmallIntegerField(_("rank"))
    group = models.ForeignKey(
        TargetGroup,
        verbose_name=_("target group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    residents = models.BooleanField(_("residents of this community"), default=False)

    class Meta:
        verbose_name = _("priority tier")
        verbose_name_plural = _("priority tiers")
        ordering = ["activity", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "rank"], name="priority_tier_rank_unique"),
            models.CheckConstraint(condition=Q(rank__gte=1), name="priority_tier_rank_positive"),
            models.CheckConstraint(
                condition=Q(group__isnull=False) | Q(residents=True),
                name="priority_tier_has_rule",
                violation_error_message=_("A priority tier needs a group, or residents ticked."),
            ),
        ]

    def __str__(self):
        return f"{self.rank}: {self.group or _('residents')}"


class SessionQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        return self.filter(starts_at__gte=now or timezone.now(), cancelled=False)


class Session(PoolCounters):
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("activity")
    )
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    capacity = models.PositiveIntegerField(_("capacity"), default=0)
    place = models.CharField(
        _("place"), max_length=200, blank=True, help_text=_("When it differs from the activity's.")
    )
    cancelled = models.BooleanField(_("cancelled"), default=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = pgettext_lazy("activity", "session")
        verbose_name_plural = pgettext_lazy("activity", "sessions")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["activity", "starts_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
            models.UniqueConstraint(fields=["activity", "starts_at"], name="session_unique_start"),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.activity} {local:%Y-%m-%d %H:%M}"

    @property
    def local_date(self):
        return timezone.localtime(self.starts_at).date()


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waitlist")
    OFFERED = "offered", _("Offered a seat")
    APPLIED = "applied", _("Applied (lottery)")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Offer declined")
    EXPIRED = "expired", _("Offer expired")
    LOST = "lost", _("Not drawn")


#: Registrations that hold a place in the pool (a seat, a waitlist place or a lottery application).
ACTIVE_STATUSES = (
    RegistrationStatus.CONFIRMED,
    RegistrationStatus.WAITLISTED,
    RegistrationStatus.OFFERED,
    RegistrationStatus.APPLIED,
)
#: Registrations that take a seat.
SEATED_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)


class Booking(models.Model):
    """One act of booking: by ``booked_by``, for one or more persons, in one pool."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="bookings", verbose_name=_("activity")
    )
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="bookings",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="event_bookings",
        verbose_name=_("booked by"),
    )
    on_behalf = models.BooleanField(_("booked by staff on the resident's behalf"), default=False)
    token = models.CharField(_("ticket token"), max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.activity} — {self.booked_by}"


class Offer(models.Model):
    """A time-limited offer of a freed seat to the next unit on the waitlist."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("offer status", "Open")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        EXPIRED = "expired", _("Expired")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="offers", verbose_name=_("booking")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField(_("expires"))
    created_at = models.DateTimeField(_("offered at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Set only when staff offered the seat out of queue order (``waitlist_offer_to``).
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("offered by staff"),
    )
    reason = models.CharField(_("reason for offering out of turn"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("waitlist offer")
        verbose_name_plural = _("waitlist offers")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"], name="offer_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | Q(decided_at__isnull=False), name="offer_decided_has_time"
            )
        ]

    def __str__(self):
        return f"{self.booking} ({self.get_status_display()})"


class Registration(models.Model):
    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("booking")
    )
    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="registrations", verbose_name=_("activity")
    )
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    person = models.ForeignKey(
        "community.Person", on_delete=models.PROTECT, related_name="registrations", verbose_name=_("person")
    )
    status = models.CharField(_("status"), max_length=12, choices=RegistrationStatus.choices)
    queue_no = models.PositiveIntegerField(
        _("waitlist number"),
        null=True,
        blank=True,
        help_text=_("Order on the waitlist: lower is served first."),
    )
    offer = models.ForeignKey(
        Offer,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="registrations",
        verbose_name=_("offer"),
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        ordering = ["activity", "session", "status", "queue_no", "id"]
        indexes = [
            models.Index(fields=["activity", "session", "status", "queue_no"], name="registration_pool"),
            # The few registrations of an activity not (or no longer) confirmed: the youth day roster's
            # counts subtract their check-ins and sign-outs (issue 13).
            models.Index(
                fields=["activity"], condition=~Q(status="confirmed"), name="registration_unconfirmed"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "person"],
                condition=Q(session__isnull=False) & Q(status__in=ACTIVE_STATUSES),
                name="registration_one_per_person_per_session",
            ),
            models.UniqueConstraint(
                fields=["activity", "person"],
                condition=Q(session__isnull=True) & Q(status__in=ACTIVE_STATUSES),
                name="registration_one_per_person_per_course",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RegistrationStatus.values), name="registration_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=RegistrationStatus.WAITLISTED) | Q(queue_no__isnull=False),
                name="registration_waitlisted_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(status=RegistrationStatus.OFFERED) | Q(offer__isnull=False),
                name="registration_offered_has_offer",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.activity} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES


class LotteryCommitment(models.Model):
    """The seed of one lottery pool (a course, or one session), chosen by the portal and committed to
    before anyone can apply.

    The seed comes from ``secrets`` (never typed by a person) and stays secret until the draw; its
    SHA-256 (``seed_sha256``) is published on the activity page once applications open. At the draw the
    seed is revealed, and anyone can check ``sha256(seed) == seed_sha256`` (``events.lottery_verify``).
    Made by ``events.services.lottery.lottery_commitment_ensure``; never changed or replaced afterwards.
    Deliberately not registered with the audit log (its changes would record the secret seed).
    """

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="lottery_commitments", verbose_name=_("activity")
    )
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="lottery_commitments",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    seed = models.CharField(_("seed"), max_length=100, editable=False)
    seed_sha256 = models.CharField(_("SHA-256 of the seed"), max_length=64, editable=False)
    committed_at = models.DateTimeField(_("committed at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("lottery seed commitment")
        verbose_name_plural = _("lottery seed commitments")
        ordering = ["activity", "session", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "session"],
                name="lottery_one_commitment_per_session",
                condition=Q(session__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["activity"],
                name="lottery_one_commitment_per_course",
                condition=Q(session__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.activity} — {self.seed_sha256[:12]}"


class LotteryDraw(models.Model):
    """A published draw: the seed, the entries with their tiers, and the order that came out.

    Anyone can re-run it: ``events.lottery_verify.draw_order(draw.seed, draw.entries) == draw.order``,
    and check the seed against the commitment published before applications opened
    (``events.lottery_verify.seed_commitment(draw.seed) == draw.commitment.seed_sha256``).
    """

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="draws", verbose_name=_("activity")
    )
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="draws",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    seed = models.CharField(_("seed"), max_length=100)
    commitment = models.OneToOneField(
        LotteryCommitment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="draw",
        verbose_name=_("seed commitment"),
        help_text=_("Empty only for draws made before seeds were committed in advance."),
    )
    capacity = models.PositiveIntegerField(_("places drawn"))
    entries = models.JSONField(_("entries"), help_text=_('[{"id": booking id, "tier": n, "size": n}, ...]'))
    order = models.JSONField(_("draw order"), help_text=_("Booking ids in the order drawn."))
    winners = models.JSONField(_("winners"), help_text=_("Booking ids given a place."))
    drawn_at = models.DateTimeField(_("drawn at"), default=timezone.now)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("drawn by"),
    )

    class Meta:
        verbose_name = _("lottery draw")
        verbose_name_plural = _("lottery draws")
        ordering = ["-drawn_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "session"],
                name="lottery_one_draw_per_session",
                condition=Q(session__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["activity"], name="lottery_one_draw_per_course", condition=Q(session__isnull=True)
            ),
        ]

    def __str__(self):
        return f"{self.activity} — {self.seed}"


def _register_audit():
    from auditlog.registry import auditlog

    for model in (Activity, Session):
        if not auditlog.contains(model):
            auditlog.register(model, exclude_fields=list(POOL_COUNTER_FIELDS))
    if not auditlog.contains(Booking):
        # That a booking was made, never its ticket token: whoever reads the audit log must not be able to
        # show the ticket at the door (as FeedKey's key below).
        auditlog.register(Booking, exclude_fields=["token"])
    for model in (PriorityTier, TargetGroup, Registration, Offer, LotteryDraw):
        if not auditlog.contains(model):
            auditlog.register(model)


_register_audit()


# --- Reminders and staff messages -------------------------------------------------------------------

#: Lead times (minutes before a session starts) when an activity sets none: the day before, two hours before.
DEFAULT_REMINDER_LEADS = (24 * 60, 2 * 60)


class ReminderRule(models.Model):
    """One lead time of an activity's reminders: "remind everyone booked N minutes before each session".

    An activity with no rules gets ``DEFAULT_REMINDER_LEADS``."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="reminder_rules", verbose_name=_("activity")
    )
    lead_minutes = models.PositiveIntegerField(
        _("minutes before the start"), help_text=_("e.g. 1440 for the day before, 120 for two hours before.")
    )

    class Meta:
        verbose_name = _("reminder lead time")
        verbose_name_plural = _("reminder lead times")
        ordering = ["activity", "-lead_minutes"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "lead_minutes"],
                name="reminder_rule_unique_lead",
                violation_error_message=_("This activity already has a reminder at that lead time."),
            ),
            models.CheckConstraint(
                condition=Q(lead_minutes__gte=10) & Q(lead_minutes__lte=14 * 24 * 60),
                name="reminder_rule_lead_range",
                violation_error_message=_(
                    "A reminder is sent between 10 minutes and 14 days before the start."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.activity}: {self.lead_minutes} min"


class ReminderState(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    CANCELLED = "cancelled", _("Cancelled")
    SKIPPED = "skipped", _("Skipped")


class ReminderQuerySet(models.QuerySet):
    def due(self, now=None):
        return self.filter(state=ReminderState.PENDING, due_at__lte=now or timezone.now())


class Reminder(models.Model):
    """A reminder of one session for one booking (everyone it booked), at one lead time.

    A long delay lives here, not in a Celery countdown: the row waits with its ``due_at`` until the
    periodic scan (``events.tasks.send_due_reminders``) claims it, enqueues the message (outbox key
    ``events.reminder:<pk>``) and marks it sent, exactly once. For a course, each meeting has its rows."""

    booking = models.ForeignKey(
        Booking, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("booking")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    lead_minutes = models.PositiveIntegerField(_("minutes before the start"))
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(
        _("state"), max_length=10, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    reason = models.CharField(_("why not sent"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["state", "due_at"], name="reminder_due")]
        constraints = [
            models.UniqueConstraint(
                fields=["booking", "session", "lead_minutes"], name="reminder_unique_key"
            ),
            models.CheckConstraint(condition=Q(state__in=ReminderState.values), name="reminder_state_valid"),
            models.CheckConstraint(
                condition=~Q(state=ReminderState.SENT) | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.session} — {self.booking_id} ({self.lead_minutes} min, {self.get_state_display()})"


class StaffMessage(models.Model):
    """A message from staff to everyone booked on a session or on a whole activity: who sent what to whom.

    Each recipient's outbox key carries this row's pk, so a retry of the fan-out sends nothing twice;
    ``request_key`` (e.g. a form's one-time token) makes a double-submitted form send once."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="staff_messages", verbose_name=_("activity")
    )
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="staff_messages",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    text = models.TextField(_("text"))
    recipients = models.PositiveIntegerField(_("recipients"), default=0)
    request_key = models.CharField(_("request key"), max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        verbose_name = _("message to participants")
        verbose_name_plural = _("messages to participants")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request_key"], condition=~Q(request_key=""), name="staff_message_request_once"
            ),
            models.CheckConstraint(condition=~Q(text=""), name="staff_message_has_text"),
        ]

    def __str__(self):
        return f"{self.session or self.activity}: {self.text[:30]}"


def _register_reminder_audit():
    from auditlog.registry import auditlog

    for model in (ReminderRule, StaffMessage):
        if not auditlog.contains(model):
            auditlog.register(model)


_register_reminder_audit()


# --- Check-in ---------------------------------------------------------------------------------------


class CheckInMethod(models.TextChoices):
    STAFF_SCAN = "staff_scan", _("Staff scanned the ticket")
    STAFF_SEARCH = "staff_search", _("Staff found the person by name or phone")
    SELF = "self", _("Self check-in")


class CheckIn(models.Model):
    """Attendance: one person (her registration) present at one session. For a course, one registration
    covers every meeting and gets one row per meeting attended. The unique constraint makes a second
    check-in impossible, even when two scanners read the same ticket at once."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="checkins", verbose_name=_("registration")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="checkins",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    checked_in_at = models.DateTimeField(_("checked in at"), default=timezone.now)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("checked in by"),
        help_text=_("Empty for a self check-in."),
    )
    method = models.CharField(_("method"), max_length=20, choices=CheckInMethod.choices)

    class Meta:
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        ordering = ["-checked_in_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"],
                name="checkin_once_per_session",
                violation_error_message=_("This person is already checked in for this session."),
            ),
            models.CheckConstraint(condition=Q(method__in=CheckInMethod.values), name="checkin_method_valid"),
        ]

    def __str__(self):
        return f"{self.session} — {self.registration_id} ({self.get_method_display()})"


class CheckOut(models.Model):
    """Leaving: one person (her registration) signed out of one session after being checked in, and to
    whom she was released (a child collected by her grandmother). For activities where leaving matters as
    much as arriving: a child's day-care, a class that ends at the door. The unique constraint makes a
    second sign-out impossible, even when two staff tablets sign the same child out at once; a sign-out
    needs the session's check-in (``events.services.checkout_record``)."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="checkouts", verbose_name=_("registration")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="checkouts",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    checked_out_at = models.DateTimeField(_("signed out at"), default=timezone.now)
    checked_out_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("signed out by"),
    )
    released_to = models.CharField(
        _("released to"), max_length=100, blank=True, help_text=_("Who collected her, as staff saw them.")
    )

    class Meta:
        verbose_name = _("sign-out")
        verbose_name_plural = _("sign-outs")
        ordering = ["-checked_out_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"],
                name="checkout_once_per_session",
                violation_error_message=_("This person is already signed out of this session."),
            ),
        ]

    def __str__(self):
        return f"{self.session} — {self.registration_id} → {self.released_to}"


def _register_checkin_audit():
    from auditlog.registry import auditlog

    if not auditlog.contains(CheckIn):
        auditlog.register(CheckIn)
    if not auditlog.contains(CheckOut):
        auditlog.register(CheckOut)


_register_checkin_audit()


# --- Checkpoints (the marathon's stations) -----------------------------------------------------------


class Checkpoint(models.Model):
    """A station along a route (the mini-marathon's start, water stop, turn-around and finish). Each
    station records its own ``Stamp``s; a finisher is a registration with a stamp at every *required*
    checkpoint of the activity (finishers get the medal)."""

    activity = models.ForeignKey(
        Activity, on_delete=models.CASCADE, related_name="checkpoints", verbose_name=_("activity")
    )
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveSmallIntegerField(_("order along the route"), default=1)
    required = models.BooleanField(
        _("required for finishing"), default=True, help_text=_("A finisher needs a stamp here.")
    )
    description = models.CharField(_("where it is"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("checkpoint")
        verbose_name_plural = _("checkpoints")
        ordering = ["activity", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "position"], name="checkpoint_unique_position"),
            models.UniqueConstraint(fields=["activity", "name"], name="checkpoint_unique_name"),
        ]

    def __str__(self):
        return f"{self.activity} · {self.name}"


class Stamp(models.Model):
    """One registration seen at one checkpoint. Unique per (checkpoint, registration): a second scan at
    the same station never counts twice."""

    checkpoint = models.ForeignKey(
        Checkpoint, on_delete=models.CASCADE, related_name="stamps", verbose_name=_("checkpoint")
    )
    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="stamps", verbose_name=_("registration")
    )
    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="stamps",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    stamped_at = models.DateTimeField(_("stamped at"), default=timezone.now)
    stamped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("stamped by"),
    )

    class Meta:
        verbose_name = _("checkpoint stamp")
        verbose_name_plural = _("checkpoint stamps")
        ordering = ["-stamped_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["checkpoint", "registration", "session"],
                name="stamp_once_per_checkpoint",
                violation_error_message=_("This person already has a stamp at this checkpoint."),
            ),
        ]

    def __str__(self):
        return f"{self.checkpoint} — {self.registration_id}"


# --- Volunteer shifts ----------------------------------------------------------------------------------


class Shift(models.Model):
    """Volunteer work on a session: a role (water station, route marshal, sign-in desk) with a number of
    slots and its own times, possibly at a checkpoint. Volunteers (``portal.volunteers.VolunteerProfile``)
    sign up through ``ShiftSignup``; hours go to the volunteer hours ledger (``portal.volunteers.HoursEntry``)."""

    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="shifts",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    role = models.CharField(_("role"), max_length=100)
    description = models.CharField(_("what to do"), max_length=300, blank=True)
    slots = models.PositiveSmallIntegerField(_("volunteers needed"), default=1)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    checkpoint = models.ForeignKey(
        Checkpoint,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="shifts",
        verbose_name=_("checkpoint"),
    )

    class Meta:
        verbose_name = _("volunteer shift")
        verbose_name_plural = _("volunteer shifts")
        ordering = ["starts_at", "role", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="shift_ends_after_start",
                violation_error_message=_("A shift must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(slots__gte=1),
                name="shift_has_slots",
                violation_error_message=_("A shift needs at least one volunteer."),
            ),
        ]

    def __str__(self):
        local = timezone.localtime(self.starts_at)
        return f"{self.session.activity} · {self.role} {local:%m-%d %H:%M}"


class ShiftSignupStatus(models.TextChoices):
    SIGNED_UP = "signed_up", _("Signed up")
    CANCELLED = "cancelled", _("Cancelled")


class ShiftSignup(models.Model):
    """One volunteer on one shift, with her check-in and check-out. ``auto_closed`` flags a check-in
    that nobody checked out, closed by the periodic job at the shift's end so staff review its hours."""

    shift = models.ForeignKey(
        Shift, on_delete=models.CASCADE, related_name="signups", verbose_name=_("shift")
    )
    volunteer = models.ForeignKey(
        "volunteers.VolunteerProfile",
        on_delete=models.CASCADE,
        related_name="shift_signups",
        verbose_name=_("volunteer"),
    )
    status = models.CharField(
        _("status"), max_length=12, choices=ShiftSignupStatus.choices, default=ShiftSignupStatus.SIGNED_UP
    )
    created_at = models.DateTimeField(_("signed up at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in at"), null=True, blank=True)
    checked_out_at = models.DateTimeField(_("checked out at"), null=True, blank=True)
    auto_closed = models.BooleanField(
        _("closed automatically"), default=False, help_text=_("Nobody checked out; review the hours.")
    )

    class Meta:
        verbose_name = _("shift sign-up")
        verbose_name_plural = _("shift sign-ups")
        ordering = ["shift__starts_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "volunteer"],
                condition=Q(status="signed_up"),
                name="shiftsignup_once_per_shift",
                violation_error_message=_("You are already signed up for this shift."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=ShiftSignupStatus.values), name="shiftsignup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | (Q(checked_in_at__isnull=False) & Q(checked_out_at__gte=F("checked_in_at"))),
                name="shiftsignup_out_after_in",
                violation_error_message=_("A check-out must come after the check-in."),
            ),
        ]

    def __str__(self):
        return f"{self.shift} — {self.volunteer}"


def _register_shift_audit():
    from auditlog.registry import auditlog

    for model in (Checkpoint, Stamp, Shift, ShiftSignup):
        if not auditlog.contains(model):
            auditlog.register(model)


_register_shift_audit()


# --- the personal calendar feed -----------------------------------------------------------------------


class FeedKeyManager(models.Manager):
    def key_for(self, user) -> str:
        """The user's current feed key; "" until she first resets her calendar link (no row is written
        by reading it, so showing the link on a page writes nothing)."""
        return self.filter(user_id=user.pk).values_list("key", flat=True).first() or ""


class FeedKey(models.Model):
    """The per-user random key behind the personal calendar feed's address (``events.views.feed``).

    The feed token is an HMAC of the user id, this key and her password hash (like Django's password-reset
    tokens): resetting the key (the "reset my calendar link" button) or any change of her password (allauth,
    the admin, ``set_password``) makes every earlier link a 404, with no signal to forget.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="feed_key", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=64)
    reset_at = models.DateTimeField(_("last reset"), default=timezone.now)

    objects = FeedKeyManager()

    class Meta:
        verbose_name = _("calendar feed key")
        verbose_name_plural = _("calendar feed keys")

    def __str__(self):
        return str(self.user)


def _register_feed_key_audit():
    from auditlog.registry import auditlog

    if not auditlog.contains(FeedKey):
        auditlog.register(FeedKey, exclude_fields=["key"])  # that it was reset, never the key itself


_register_feed_key_audit()
