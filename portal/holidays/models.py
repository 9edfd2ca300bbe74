from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Festival(models.TextChoices):
    """The official public holidays (the names of chinesecalendar's ``Holiday`` enum)."""

    NEW_YEAR = "new_years_day", _("New Year's Day")
    SPRING = "spring_festival", _("Spring Festival")
    TOMB_SWEEPING = "tomb_sweeping_day", _("Tomb-sweeping Day")
    LABOUR = "labour_day", _("Labour Day")
    DRAGON_BOAT = "dragon_boat_festival", _("Dragon Boat Festival")
    NATIONAL = "national_day", _("National Day")
    MID_AUTUMN = "mid_autumn_festival", _("Mid-autumn Festival")
    ANTI_FASCIST_70 = "anti_fascist_70th_day", _("70th anniversary of the victory in the War of Resistance")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", pgettext_lazy("calendar day", "Public holiday")
    WORKDAY = "workday", pgettext_lazy("calendar day", "Make-up working day")


class YearSource(models.TextChoices):
    LIBRARY = "library", _("From the calendar library (chinesecalendar)")
    STAFF = "staff", _("Entered by staff from the official notice")


class CalendarYear(models.Model):
    """A year whose holiday arrangement the portal holds. A year with no row is unknown: weekly schedules
    running into it are generated without skipping holidays, and staff are warned."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    source = models.CharField(
        _("source"), max_length=10, choices=YearSource.choices, default=YearSource.STAFF
    )
    notice = models.CharField(
        _("official notice"),
        max_length=200,
        blank=True,
        help_text=_("For example: 国务院办公厅关于2027年部分节假日安排的通知"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["year"]
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """One day off for a public holiday, or one weekend day worked in exchange for one."""

    year = models.ForeignKey(
        CalendarYear, verbose_name=_("year"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    festival = models.CharField(_("holiday"), max_length=30, choices=Festival.choices)

    class Meta:
        ordering = ["date"]
        verbose_name = _("holiday or make-up working day")
        verbose_name_plural = _("holidays and make-up working days")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=[k.value for k in DayKind]), name="holidays_day_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_festival_display()} ({self.get_kind_display()})"
