"""Volunteer profiles: a Person with an active VolunteerProfile is a volunteer (志愿者).

Shifts and the hours ledger come with the events issue.
"""

from django.db import models
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
