"""Elders (一老): the care registry on the community Person, partner service plans and deliveries, the health
station's readings with their thresholds and follow-ups, and the visit-and-call roster (关爱走访).

Everything here hangs off ``portal.community.Person``: an elder is a resident aged 60 or over, her age and
age band computed from the birth date on the day (never stored). Sensitive facts (health, disability, the
daily-living level, 低保) live in the platform's ``SensitiveProfile`` and are read only through
``sensitive_profile_for``; readings are health data and are recorded and shown only under the person's
health consent (PIPL arts. 28-29).

Clinics and classes are ``events`` activities; a reading taken at a clinic session points at that session,
and the elder's attendance there is the engine's check-in (one person-visit however many readings).
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.community.models import Organization, Person

#: Notes and free text typed on a phone: long enough for a real note, short enough to refuse a paste.
NOTE_MAX = 1000
#: ``ContactPlan.elder_since`` of a plan whose person is an elder on any day (she has an elder profile).
ELDER_ALWAYS = datetime.date.min


# --- The elder profile --------------------------------------------------------------------------------


class LivingSituation(models.TextChoices):
    ALONE = "alone", _("Lives alone")
    SPOUSE = "spouse", _("With spouse only")
    FAMILY = "family", _("With family")


class HelperKind(models.TextChoices):
    """Who the paired helper (结对帮扶) is; elders helping elders: a younger elder can be the volunteer."""

    VOLUNTEER = "volunteer", _("Volunteer")
    PARTY_MEMBER = "party_member", _("Party member")
    GRID_WORKER = "grid_worker", _("Grid worker")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class BirthdayCalendar(models.TextChoices):
    SOLAR = "solar", _("Solar (公历) birthday")
    LUNAR = "lunar", _("Lunar (农历) birthday")


class ElderProfile(models.Model):
    """What the community knows of an elder beyond the Person: living situation, the special groups that are
    not sensitive (孤寡; 独居 is ``living_situation``), the paired helper, needs, the derived risk level with
    its reasons (kept up to date by ``services.elder_risk_refresh``) and a staff override with its reason.

    高龄 (80+) is computed from the birth date; 失能 (with the daily-living level), 残疾 and 低保 come from the
    person's SensitiveProfile."""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="elder_profile", verbose_name=_("person")
    )
    living_situation = models.CharField(
        _("living situation"), max_length=20, choices=LivingSituation.choices, default=LivingSituation.FAMILY
    )
    childless_widowed = models.BooleanField(_("widowed without children (孤寡)"), default=False)
    helper = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("paired helper"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="elders_helped",
        help_text=_("The volunteer, party member or grid worker paired with her (结对帮扶)."),
    )
    helper_kind = models.CharField(_("helper is a"), max_length=20, choices=HelperKind.choices, blank=True)
    family_doctor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("family doctor"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="elders_as_doctor",
        help_text=_("The contracted family doctor (家庭医生) at the health centre, if she has an account."),
    )
    needs = models.TextField(_("needs"), blank=True, max_length=NOTE_MAX)
    birthday_greetings = models.BooleanField(
        _("send birthday greetings"),
        default=False,
        help_text=_("Only when she (or her family) asked for it."),
    )
    birthday_calendar = models.CharField(
        _("birthday kept by"),
        max_length=10,
        choices=BirthdayCalendar.choices,
        default=BirthdayCalendar.SOLAR,
    )
    # Derived by services.elder_risk_refresh from the profile, the sensitive profile, age and contacts.
    risk_level = models.CharField(
        _("risk level (derived)"),
        max_length=10,
        choices=RiskLevel.choices,
        default=RiskLevel.LOW,
        editable=False,
    )
    risk_reasons = models.JSONField(
        _("risk reasons (derived)"),
        default=list,
        blank=True,
        editable=False,
        help_text=_("Reason codes, shown in words by the pages."),
    )
    risk_refreshed_at = models.DateTimeField(_("risk computed at"), null=True, blank=True, editable=False)
    # A staff override, kept with who and when; the derived level stays visible beside it.
    risk_override = models.CharField(
        _("risk level set by staff"), max_length=10, choices=RiskLevel.choices, blank=True
    )
    risk_override_reason = models.CharField(_("reason for the override"), max_length=300, blank=True)
    risk_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("override by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    risk_override_at = models.DateTimeField(_("override at"), null=True, blank=True)
    # Who last entered the profile: staff at the desk, on her behalf (she has no account or phone).
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("elder profile")
        verbose_name_plural = _("elder profiles")
        indexes = [models.Index(fields=["risk_level"]), models.Index(fields=["risk_override"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_override="") | ~Q(risk_override_reason=""),
                name="elder_risk_override_has_reason",
                violation_error_message=_("Give a reason for setting the risk level by hand."),
            ),
        ]

    def __str__(self):
        return str(self.person)

    @property
    def effective_risk(self) -> str:
        return self.risk_override or self.risk_level


# --- Services from partner organisations ---------------------------------------------------------------


class Service(models.Model):
    """A service in the catalogue: meal delivery, daily-living care, rehabilitation, health management;
    staff add more."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("service name"), max_length=50, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class PlanPeriod(models.TextChoices):
    DAY = "day", _("a day")
    WEEK = "week", _("a week")
    MONTH = "month", _("a month")


class ServicePlan(models.Model):
    """Which service an elder receives, how often, from which organisation, from when to when."""

    elder = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="service_plans", verbose_name=_("elder")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="plans", verbose_name=_("service")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="service_plans", verbose_name=_("organisation")
    )
    times = models.PositiveSmallIntegerField(_("times"), default=1)
    period = models.CharField(_("per"), max_length=10, choices=PlanPeriod.choices, default=PlanPeriod.WEEK)
    starts_on = models.DateField(_("from"))
    ends_on = models.DateField(_("until"), null=True, blank=True)
    notes = models.CharField(_("notes"), max_length=300, blank=True)
    # Set by the missed-delivery check (services), cleared when deliveries catch up.
    missed_flagged_on = models.DateField(_("missed deliveries flagged on"), null=True, blank=True)
    missed_count = models.PositiveSmallIntegerField(_("deliveries missed"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")
        ordering = ["elder_id", "service__order", "starts_on"]
        indexes = [models.Index(fields=["organization", "starts_on"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="service_plan_ends_after_start",
                violation_error_message=_("The plan cannot end before it starts."),
            ),
            models.CheckConstraint(condition=Q(times__gte=1), name="service_plan_times_positive"),
        ]

    def __str__(self):
        return f"{self.elder} · {self.service}"


class Delivery(models.Model):
    """One service delivered, logged by partner staff from a phone (several at once on a delivery round).

    ``elder``, ``service`` and ``organization`` repeat the plan's so that scoping and the monthly counts
    are single-table queries; the service layer keeps them equal to the plan's."""

    plan = models.ForeignKey(
        ServicePlan, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("service plan")
    )
    elder = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("elder")
    )
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="+", verbose_name=_("service")
    )
    organization = models.ForeignKey(
        Organization, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("organisation")
    )
    delivered_at = models.DateTimeField(_("delivered at"))
    delivered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="deliveries_made",
        verbose_name=_("by"),
    )
    what = models.CharField(_("what was delivered"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_MAX)
    round_key = models.CharField(
        _("round"),
        max_length=40,
        blank=True,
        db_index=True,
        help_text=_("The same value for every delivery logged in one round."),
    )
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["-delivered_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "delivered_at"]),
            models.Index(fields=["plan", "delivered_at"]),
            models.Index(fields=["elder", "delivered_at"]),
        ]
        constraints = [
            # A round submitted twice (a double tap, a resent form) logs each plan once (partners piece).
            models.UniqueConstraint(
                fields=["plan", "round_key"], condition=~Q(round_key=""), name="delivery_once_per_round"
            ),
        ]

    def __str__(self):
        return f"{self.elder} · {self.service} · {self.delivered_at:%Y-%m-%d}"


# --- Health station -----------------------------------------------------------------------------------


class ReadingKind(models.TextChoices):
    BLOOD_PRESSURE = "bp", _("Blood pressure")
    GLUCOSE = "glucose", _("Blood glucose")
    HEART_RATE = "heart_rate", _("Heart rate")
    WEIGHT = "weight", _("Weight")


#: The unit each kind is stored in; written on every row so that a reading never depends on a convention.
READING_UNITS = {
    ReadingKind.BLOOD_PRESSURE: "mmHg",
    ReadingKind.GLUCOSE: "mmol/L",
    ReadingKind.HEART_RATE: "bpm",
    ReadingKind.WEIGHT: "kg",
}


class GlucoseTiming(models.TextChoices):
    FASTING = "fasting", _("Fasting")
    AFTER_MEAL = "after_meal", _("2 hours after a meal")
    RANDOM = "random", _("Random")


class FlagLevel(models.TextChoices):
    NORMAL = "normal", _("Normal")
    ABNORMAL = "abnormal", _("Abnormal")
    URGENT = "urgent", _("Urgent")


class Measure(models.TextChoices):
    """What a threshold compares: one number of a reading."""

    SYSTOLIC = "systolic", _("Systolic pressure")
    DIASTOLIC = "diastolic", _("Diastolic pressure")
    GLUCOSE_FASTING = "glucose_fasting", _("Fasting glucose")
    GLUCOSE_AFTER_MEAL = "glucose_after_meal", _("Glucose 2 hours after a meal")
    GLUCOSE_RANDOM = "glucose_random", _("Random glucose")
    HEART_RATE = "heart_rate", _("Heart rate")


class Direction(models.TextChoices):
    HIGH = "high", _("at or above")
    LOW = "low", _("below")


class Threshold(models.Model):
    """A screening cut-off kept as data (staff-editable), with the source it comes from: "systolic at or
    above 140 mmHg is abnormal (中国高血压防治指南 2018)"."""

    measure = models.CharField(_("measure"), max_length=30, choices=Measure.choices)
    direction = models.CharField(
        _("direction"), max_length=10, choices=Direction.choices, default=Direction.HIGH
    )
    limit = models.DecimalField(_("limit"), max_digits=6, decimal_places=1)
    level = models.CharField(_("level"), max_length=10, choices=FlagLevel.choices)
    label = models.CharField(_("label"), max_length=100)
    source = models.CharField(_("source"), max_length=300)
    is_active = models.BooleanField(_("active"), default=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        ordering = ["measure", "level", "direction", "limit"]
        constraints = [
            models.CheckConstraint(condition=~Q(level=FlagLevel.NORMAL), name="threshold_flags_something"),
            models.UniqueConstraint(
                fields=["measure", "direction", "level"],
                condition=Q(is_active=True),
                name="threshold_one_active_per_level",
            ),
        ]

    def __str__(self):
        return self.label


class Reading(models.Model):
    """One measurement, units stored explicitly. Blood pressure keeps systolic in ``value`` and diastolic in
    ``value2``; glucose says when it was taken. ``level`` is the most severe flag of the active thresholds
    at entry, ``flags`` their labels (kept, so a later threshold edit does not rewrite history)."""

    elder = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="health_readings", verbose_name=_("elder")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ReadingKind.choices)
    value = models.DecimalField(_("value"), max_digits=6, decimal_places=1)
    value2 = models.DecimalField(_("second value"), max_digits=6, decimal_places=1, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=10)
    glucose_timing = models.CharField(
        _("when taken"), max_length=20, choices=GlucoseTiming.choices, blank=True
    )
    taken_at = models.DateTimeField(_("taken at"), default=timezone.now)
    session = models.ForeignKey(
        "events.Session",
        verbose_name=_("clinic"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="health_readings",
    )
    level = models.CharField(_("flag"), max_length=10, choices=FlagLevel.choices, default=FlagLevel.NORMAL)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("recorded by")
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("health reading")
        verbose_name_plural = _("health readings")
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["elder", "kind", "taken_at"]), models.Index(fields=["session"])]
        constraints = [
            models.CheckConstraint(condition=Q(value__gt=0), name="reading_value_positive"),
            models.CheckConstraint(
                condition=(
                    Q(kind=ReadingKind.BLOOD_PRESSURE) & Q(value2__isnull=False) & Q(value2__lt=F("value"))
                )
                | (~Q(kind=ReadingKind.BLOOD_PRESSURE) & Q(value2__isnull=True)),
                name="reading_bp_has_lower_diastolic",
            ),
            models.CheckConstraint(
                condition=Q(kind=ReadingKind.GLUCOSE, glucose_timing__in=GlucoseTiming.values)
                | (~Q(kind=ReadingKind.GLUCOSE) & Q(glucose_timing="")),
                name="reading_glucose_timing",
            ),
        ]

    def __str__(self):
        return f"{self.elder} · {self.get_kind_display()} · {self.taken_at:%Y-%m-%d}"


class FollowUpStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    CLOSED = "closed", pgettext_lazy("task status", "Closed")


class FollowUp(models.Model):
    """A task created by a flagged reading, for the elder's grid worker or family doctor, tracked until
    closed with an outcome."""

    elder = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="health_followups", verbose_name=_("elder")
    )
    reading = models.OneToOneField(
        Reading,
        on_delete=models.CASCADE,
        related_name="followup",
        verbose_name=_("reading"),
        null=True,
        blank=True,
    )
    level = models.CharField(_("flag"), max_length=10, choices=FlagLevel.choices)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="health_followups",
    )
    due_on = models.DateField(_("follow up by"))
    status = models.CharField(
        _("status"), max_length=10, choices=FollowUpStatus.choices, default=FollowUpStatus.OPEN
    )
    outcome = models.TextField(_("outcome"), blank=True, max_length=NOTE_MAX)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("health follow-up")
        verbose_name_plural = _("health follow-ups")
        ordering = ["status", "due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"]), models.Index(fields=["assigned_to", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status=FollowUpStatus.OPEN) | (Q(closed_at__isnull=False) & ~Q(outcome="")),
                name="followup_closed_with_outcome",
                violation_error_message=_("Say what was done before closing the follow-up."),
            ),
        ]

    def __str__(self):
        return f"{self.elder} · {self.get_level_display()} · {self.due_on}"


# --- Visit-and-call roster (关爱走访) -----------------------------------------------------------------


class ContactMethod(models.TextChoices):
    VISIT = "visit", _("Home visit")
    CALL = "call", _("Phone call")


class Wellbeing(models.TextChoices):
    GOOD = "good", _("Well")
    FAIR = "fair", _("So-so")
    POOR = "poor", _("Not well")
    URGENT = "urgent", _("Needs help now")


class ContactPlan(models.Model):
    """How often someone visits or calls the elder, and who. ``every_days`` follows the risk level unless
    staff set it (``custom``). ``due_on`` is when the next contact is due: the last reached contact plus
    ``every_days`` (or the plan's start), kept by the services when a contact is logged."""

    elder = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="contact_plan", verbose_name=_("elder")
    )
    every_days = models.PositiveSmallIntegerField(_("every (days)"), default=90)
    custom = models.BooleanField(_("frequency set by staff"), default=False)
    method = models.CharField(
        _("usually by"), max_length=10, choices=ContactMethod.choices, default=ContactMethod.VISIT
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("responsible"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_plans",
    )
    starts_on = models.DateField(_("from"), default=timezone.localdate)
    due_on = models.DateField(_("next contact due"), db_index=True)
    last_contact_at = models.DateTimeField(_("last contact"), null=True, blank=True)
    last_reached_at = models.DateTimeField(_("last reached"), null=True, blank=True)
    unreached_in_row = models.PositiveSmallIntegerField(_("not reached in a row"), default=0)
    is_active = models.BooleanField(_("active"), default=True)
    #: The day from which her person is an elder (active, and 60 or more or with an elder profile), or None
    #: when she is not one and will not become one by age alone: stored so that the roster's lists count
    #: and page plans without testing every person (issue 13). Plans are made for elders (hence the
    #: default); the outreach engine keeps it true (``services.outreach.contact_plans_elder_refresh``,
    #: called by ``elders.signals`` on a person's or a profile's change), and a drift test recomputes it.
    elder_since = models.DateField(
        _("an elder since"), null=True, blank=True, default=ELDER_ALWAYS, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("contact plan")
        verbose_name_plural = _("contact plans")
        indexes = [
            models.Index(fields=["is_active", "due_on"]),
            models.Index(fields=["assigned_to", "due_on"]),
            # My visits and calls: her plans' counts and due dates read from the index alone.
            models.Index(
                fields=["assigned_to", "due_on"],
                include=["elder_since"],
                condition=Q(is_active=True),
                name="contact_plan_mine",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(every_days__gte=1), name="contact_plan_every_positive"),
        ]

    def __str__(self):
        return f"{self.elder} · {self.every_days}"


class ContactLog(models.Model):
    """One visit or call: reached or not, how she is, what she needs."""

    elder = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="contact_logs", verbose_name=_("elder")
    )
    plan = models.ForeignKey(
        ContactPlan,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="logs",
        verbose_name=_("contact plan"),
    )
    method = models.CharField(_("how"), max_length=10, choices=ContactMethod.choices)
    reached = models.BooleanField(_("reached her"))
    wellbeing = models.CharField(_("how she is"), max_length=10, choices=Wellbeing.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTE_MAX)
    contacted_at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="contact_logs", verbose_name=_("by")
    )
    entered_on_behalf = models.BooleanField(_("entered by staff for the visitor"), default=False)
    created_at = models.DateTimeField(_("logged at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact log")
        verbose_name_plural = _("contact logs")
        ordering = ["-contacted_at", "-id"]
        indexes = [
            models.Index(fields=["elder", "contacted_at"]),
            models.Index(fields=["by", "contacted_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reached=True) | Q(wellbeing=""), name="contact_log_wellbeing_only_when_reached"
            ),
        ]

    def __str__(self):
        return f"{self.elder} · {self.get_method_display()} · {self.contacted_at:%Y-%m-%d}"


class NeedCategory(models.TextChoices):
    MEALS = "meals", _("Meals")
    MEDICAL = "medical", _("Health and medicine")
    HOUSEHOLD = "household", _("Repairs and housework")
    COMPANY = "company", _("Company and care")
    BENEFITS = "benefits", _("Benefits and paperwork")
    OTHER = "other", _("Other")


class NeedStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("task status", "Open")
    IN_PROGRESS = "in_progress", _("Being handled")
    CLOSED = "closed", _("Handled and closed")


class Need(models.Model):
    """A need raised on a visit or at the desk (急难愁盼), with an owner and a status until it is handled."""

    elder = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="needs", verbose_name=_("elder"))
    raised_in = models.ForeignKey(
        ContactLog,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="needs",
        verbose_name=_("raised on"),
    )
    category = models.CharField(_("kind"), max_length=20, choices=NeedCategory.choices)
    description = models.CharField(_("what she needs"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="elder_needs_owned",
    )
    status = models.CharField(_("status"), max_length=20, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    resolution = models.TextField(_("what was done"), blank=True, max_length=NOTE_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    created_at = models.DateTimeField(_("raised at"), auto_now_add=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("need")
        verbose_name_plural = _("needs")
        ordering = ["status", "-created_at"]
        indexes = [models.Index(fields=["status", "owner"]), models.Index(fields=["elder", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status=NeedStatus.CLOSED) | (Q(closed_at__isnull=False) & ~Q(resolution="")),
                name="need_closed_with_resolution",
                violation_error_message=_("Say what was done before closing the need."),
            ),
        ]

    def __str__(self):
        return f"{self.elder} · {self.description[:30]}"


class NoticeKind(models.TextChoices):
    DUE = "due", _("Contact due")
    OVERDUE = "overdue", _("Overdue past the grace period (to the grid leader)")
    UNREACHED = "unreached", _("Not reached twice in a row (to the grid leader)")


class OutreachNotice(models.Model):
    """The daily outreach job's memory: one row per plan, due date and kind, so that a contact due on a day
    is told once, however often the job runs (the unique constraint decides, not the job)."""

    plan = models.ForeignKey(
        ContactPlan, on_delete=models.CASCADE, related_name="notices", verbose_name=_("contact plan")
    )
    due_on = models.DateField(_("contact due"))
    kind = models.CharField(_("kind"), max_length=20, choices=NoticeKind.choices)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recipient"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("outreach notice")
        verbose_name_plural = _("outreach notices")
        constraints = [
            models.UniqueConstraint(fields=["plan", "due_on", "kind"], name="outreach_notice_once"),
        ]

    def __str__(self):
        return f"{self.plan} · {self.due_on} · {self.kind}"


class BirthdayGreeting(models.Model):
    """A birthday greeting sent (or queued) for one elder in one year: once a year, whichever calendar."""

    elder = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="birthday_greetings", verbose_name=_("elder")
    )
    year = models.PositiveSmallIntegerField(_("year"))
    calendar = models.CharField(_("calendar"), max_length=10, choices=BirthdayCalendar.choices)
    birthday = models.DateField(_("birthday that year"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("birthday greeting")
        verbose_name_plural = _("birthday greetings")
        constraints = [
            models.UniqueConstraint(fields=["elder", "year"], name="birthday_greeting_once_a_year")
        ]

    def __str__(self):
        return f"{self.elder} · {self.year}"
