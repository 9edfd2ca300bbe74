"""Volunteer profiles and the hours ledger.

A Person with an active VolunteerProfile is a volunteer (志愿者). Her hours are rows in the ledger
(``HoursEntry``): credited from a shift she checked in and out of (``events.ShiftSignup``), or entered by
staff, and counted only once staff approve them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class VolunteerProfileQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, person__is_active=True)


class VolunteerProfile(models.Model):
    person = models.OneToOneField(
        "community.Person",
        on_delete=models.CASCADE,
        related_name="volunteer_profile",
        verbose_name=_("person"),
    )
    organization = models.ForeignKey(
        "community.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="volunteers",
        help_text=_("The partner organisation she volunteers with, if any."),
    )
    team = models.CharField(
        _("team"), max_length=50, blank=True, help_text=_("For example: 红马甲 patrol team.")
    )
    skills = models.CharField(
        _("skills"), max_length=200, blank=True, help_text=_("Separate skills with commas.")
    )
    since = models.DateField(_("volunteer since"), default=timezone.localdate)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = VolunteerProfileQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer profile")
        verbose_name_plural = _("volunteer profiles")
        ordering = ["person__name_pinyin", "id"]

    def __str__(self):
        return str(self.person)

    @property
    def skill_list(self) -> list[str]:
        return [s.strip() for s in self.skills.replace("，", ",").split(",") if s.strip()]


class HoursStatus(models.TextChoices):
    PENDING = "pending", _("Pending approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class HoursEntryQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=HoursStatus.APPROVED)


class HoursEntry(models.Model):
    """One line of the volunteer hours ledger (志愿服务时长台账).

    ``source_key`` names what the hours are for (``"events.shiftsignup:42"``); it is unique, so the same
    shift is never credited twice. ``flagged`` marks hours that need a closer look (the shift was closed
    automatically because nobody checked out)."""

    volunteer = models.ForeignKey(
        VolunteerProfile, on_delete=models.CASCADE, related_name="hours", verbose_name=_("volunteer")
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(
        _("hours"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("24"))],
    )
    description = models.CharField(_("service"), max_length=200)
    source_key = models.CharField(_("source"), max_length=100, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=HoursStatus.choices, default=HoursStatus.PENDING
    )
    flagged = models.BooleanField(_("needs review"), default=False)
    flag_reason = models.CharField(_("why it needs review"), max_length=200, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = HoursEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("volunteer hours")
        verbose_name_plural = _("volunteer hours ledger")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["volunteer", "status"])]
        constraints = [
            models.UniqueConstraint(
                fields=["source_key"], condition=~Q(source_key=""), name="hoursentry_source_once"
            ),
            models.CheckConstraint(
                condition=Q(hours__gt=0) & Q(hours__lte=24),
                name="hoursentry_hours_range",
                violation_error_message=_("Hours must be more than 0 and at most 24."),
            ),
            models.CheckConstraint(
                condition=Q(status__in=HoursStatus.values), name="hoursentry_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.volunteer} {self.date} {self.hours}h"


class Certificate(models.Model):
    """A volunteer hours certificate as issued (志愿服务时长证明): what the PDF printed, kept so that anyone
    holding the paper can check its verification code (验证码) on the public verification page.

    The code is the HMAC of volunteer, period and total (``portal.volunteers.certificate``): the same
    certificate downloaded again has the same code and is stored once, with the day it was first issued."""

    code = models.CharField(_("verification code"), max_length=20, unique=True)
    volunteer = models.ForeignKey(
        VolunteerProfile,
        on_delete=models.CASCADE,
        related_name="certificates",
        verbose_name=_("volunteer"),
    )
    name = models.CharField(_("name as printed"), max_length=50)
    date_from = models.DateField(_("period from"), null=True, blank=True)
    date_to = models.DateField(_("period to"), null=True, blank=True)
    hours = models.DecimalField(_("approved hours"), max_digits=8, decimal_places=2)
    issued_on = models.DateField(_("date issued"))
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)

    class Meta:
        verbose_name = _("hours certificate")
        verbose_name_plural = _("hours certificates")
        ordering = ["-issued_at"]

    def __str__(self):
        return f"{self.code} {self.name} {self.hours}h"


def _register_hours_audit():
    from auditlog.registry import auditlog

    if not auditlog.contains(HoursEntry):
        auditlog.register(HoursEntry)


_register_hours_audit()
