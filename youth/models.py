"""Youth (一小): children and their guardians, the summer day-care (暑托班) with safe pickup, holiday classes
and parenting lectures (家庭教育讲座).

A child is a ``portal.community.Person`` with one or more guardians (``Relation`` of kind guardian); her age
is computed from the birth date on the day, never stored. Until a guardian's consent to keeping a child's
information (``ConsentPurpose.MINOR``) is on record for a child under 14, nothing beyond her name and age
is kept: no profile, no pickup persons, no health notes. Health notes (allergies, medication, conditions)
live in the platform's ``SensitiveProfile`` and emergency contacts in its ``EmergencyContact``; they are read
only through ``sensitive_profile_for`` / ``sensitive_profiles_for`` (each view logged).

The day-care, its weeks, the classes and the lectures are ``events`` activities: a day-care week is one
activity whose registration covers its daily sessions, so a family books a week (or every week of the
programme in one go), each week with its own capacity, early window, lottery and waitlist. Sign-in at
drop-off is the engine's ``CheckIn``; sign-out at pickup is the engine's ``CheckOut``; this area adds who
may collect the child and the record of every pickup attempt, allowed or refused.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.modelfields import PhoneNumberField

from portal.community.models import Organization, Person

#: Notes typed on a phone: long enough for a real note, short enough to refuse a paste.
NOTE_MAX = 500


# --- Children ------------------------------------------------------------------------------------------


class Grade(models.TextChoices):
    """School year, as Chinese schools name them (幼儿园 three years, 小学 six, 初中 three, 高中 three)."""

    K1 = "k1", _("Kindergarten, junior class")
    K2 = "k2", _("Kindergarten, middle class")
    K3 = "k3", _("Kindergarten, senior class")
    P1 = "p1", _("Primary school, year 1")
    P2 = "p2", _("Primary school, year 2")
    P3 = "p3", _("Primary school, year 3")
    P4 = "p4", _("Primary school, year 4")
    P5 = "p5", _("Primary school, year 5")
    P6 = "p6", _("Primary school, year 6")
    J1 = "j1", _("Junior middle school, year 1")
    J2 = "j2", _("Junior middle school, year 2")
    J3 = "j3", _("Junior middle school, year 3")
    S1 = "s1", _("Senior middle school, year 1")
    S2 = "s2", _("Senior middle school, year 2")
    S3 = "s3", _("Senior middle school, year 3")


class ChildProfile(models.Model):
    """What the community keeps of a child beyond her name and age, once her guardian has consented:
    her school and grade. (Health notes: the SensitiveProfile; emergency contacts: EmergencyContact.)"""

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="child_profile", verbose_name=_("child")
    )
    school = models.ForeignKey(
        Organization,
        verbose_name=_("school"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pupils",
        limit_choices_to={"kind": "school"},
        help_text=_("A school the community works with."),
    )
    school_name = models.CharField(
        _("other school"), max_length=100, blank=True, help_text=_("When the school is not on the list.")
    )
    grade = models.CharField(_("grade"), max_length=3, choices=Grade.choices, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        verbose_name=_("updated by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("child profile")
        verbose_name_plural = _("child profiles")

    def __str__(self):
        return str(self.person)

    @property
    def school_display(self) -> str:
        return self.school.name if self.school_id else self.school_name


class PickupRelation(models.TextChoices):
    """How the person collecting a child is related to her (the words parents use)."""

    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GRANDMOTHER_PATERNAL = "grandmother_p", _("Grandmother (father's mother, 奶奶)")
    GRANDFATHER_PATERNAL = "grandfather_p", _("Grandfather (father's father, 爷爷)")
    GRANDMOTHER_MATERNAL = "grandmother_m", _("Grandmother (mother's mother, 外婆)")
    GRANDFATHER_MATERNAL = "grandfather_m", _("Grandfather (mother's father, 外公)")
    AUNT_UNCLE = "aunt_uncle", _("Aunt or uncle")
    SIBLING = "sibling", _("Adult brother or sister")
    NANNY = "nanny", _("Nanny")
    NEIGHBOUR = "neighbour", _("Neighbour or family friend")
    OTHER = "other", _("Other")


def pickup_photo_path(instance, filename: str) -> str:
    # Not under a guessable name: photos are served only through the youth pages that check access.
    import uuid

    return f"youth/pickup/{uuid.uuid4().hex}.jpg"


class PickupPersonQuerySet(models.QuerySet):
    def valid_on(self, day):
        """Standing authorisations not revoked, and one-day authorisations for exactly ``day``."""
        return self.filter(revoked_at__isnull=True).filter(Q(only_on__isnull=True) | Q(only_on=day))


class PickupPerson(models.Model):
    """Someone a guardian has authorised to collect her child: standing (grandpa every day) or for one
    day only (``only_on``: "grandma collects her today"), which expires by itself at the end of that day.
    The child's guardians may always collect her and are not listed here."""

    child = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="pickup_persons", verbose_name=_("child")
    )
    name = models.CharField(_("full name"), max_length=50)
    relation = models.CharField(_("relation to the child"), max_length=20, choices=PickupRelation.choices)
    phone = PhoneNumberField(_("mobile phone"), region="CN")
    photo = models.ImageField(
        _("photo"),
        upload_to=pickup_photo_path,
        blank=True,
        help_text=_("A clear photo of the face, so that staff can recognise her at the door."),
    )
    only_on = models.DateField(
        _("only on"), null=True, blank=True, help_text=_("For one day only; empty for every day.")
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("authorised by"),
    )
    created_at = models.DateTimeField(_("authorised at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    objects = PickupPersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("authorised pickup person")
        verbose_name_plural = _("authorised pickup persons")
        ordering = ["child", "only_on", "name"]
        indexes = [models.Index(fields=["child", "only_on"])]

    def __str__(self):
        return f"{self.name} ({self.get_relation_display()})"


# --- Holiday day-care (暑托班) ----------------------------------------------------------------------------


class DaycareProgramme(models.Model):
    """A holiday day-care (暑托班 / 寒托班): weeks of daily sessions at one place, for children of an age range.

    Each week is an events activity (``DaycareWeek.activity``) whose one registration covers the week's
    daily sessions; booking rules (windows, early window for priority families, lottery or first come,
    capacity, waitlist) are the activity's. ``day_starts`` / ``day_ends`` are the times of drop-off and of
    the latest pickup: a child not signed out by ``day_ends`` is listed for staff and her guardians told."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    organiser_org = models.ForeignKey(
        Organization,
        verbose_name=_("organising partner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="daycare_programmes",
    )
    place = models.CharField(_("place"), max_length=200)
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    day_starts = models.TimeField(_("drop-off from"))
    day_ends = models.TimeField(_("pickup by"))
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
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

    class Meta:
        verbose_name = _("holiday day-care")
        verbose_name_plural = _("holiday day-care programmes")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="daycare_dates_order"),
            models.CheckConstraint(condition=Q(day_ends__gt=F("day_starts")), name="daycare_times_order"),
        ]

    def __str__(self):
        return self.title


class DaycareWeek(models.Model):
    """One week of a programme: an events activity with the week's daily sessions."""

    programme = models.ForeignKey(
        DaycareProgramme, on_delete=models.CASCADE, related_name="weeks", verbose_name=_("day-care")
    )
    activity = models.OneToOneField(
        "events.Activity",
        on_delete=models.PROTECT,
        related_name="daycare_week",
        verbose_name=_("activity"),
    )
    number = models.PositiveSmallIntegerField(pgettext_lazy("day-care", "week"))
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("day-care week")
        verbose_name_plural = _("day-care weeks")
        ordering = ["programme", "number"]
        constraints = [
            models.UniqueConstraint(fields=["programme", "number"], name="daycare_week_unique"),
        ]

    def __str__(self):
        return f"{self.programme} · {self.number}"


# --- Pickup ------------------------------------------------------------------------------------------


class PickupOutcome(models.TextChoices):
    RELEASED = "released", _("Collected")
    REFUSED = "refused", _("Refused")


class PickupAttempt(models.Model):
    """Every attempt to collect a child from a session, allowed or refused, with who came and who decided.

    A released attempt points at the engine's ``CheckOut``; a refused one changes nothing else and its
    guardians are told at once (a safety message, past quiet hours)."""

    session = models.ForeignKey(
        "events.Session",
        on_delete=models.CASCADE,
        related_name="pickup_attempts",
        verbose_name=pgettext_lazy("activity", "session"),
    )
    child = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="pickup_attempts", verbose_name=_("child")
    )
    pickup_person = models.ForeignKey(
        PickupPerson,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="attempts",
        verbose_name=_("authorised pickup person"),
    )
    guardian = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pickups_made",
        verbose_name=_("guardian"),
    )
    name = models.CharField(_("name given"), max_length=50)
    relation = models.CharField(_("relation given"), max_length=50, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=PickupOutcome.choices)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    checkout = models.OneToOneField(
        "events.CheckOut",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="pickup_attempt",
        verbose_name=_("sign-out"),
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("staff member"),
    )
    at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("pickup attempt")
        verbose_name_plural = _("pickup attempts")
        ordering = ["-at"]
        indexes = [models.Index(fields=["session", "child"])]

    def __str__(self):
        return f"{self.child} · {self.name} · {self.get_outcome_display()}"


# --- Classes and lectures -------------------------------------------------------------------------------


class ProgrammeKind(models.TextChoices):
    CLASS = "class", _("Holiday class")
    LECTURE = "lecture", _("Parenting lecture")


class Audience(models.TextChoices):
    """Who a class or lecture is for; the booking is checked against it."""

    CHILDREN = "children", _("Children")
    SIBLINGS = "siblings", _("Brothers and sisters together")
    PARENT_CHILD = "parent_child", _("A parent and child together")
    GUARDIANS = "guardians", _("Parents and guardians")


class Subject(models.TextChoices):
    CLASSICS = "classics", _("Classical reading (国学诵读)")
    PAINTING = "painting", _("Painting")
    CRAFTS = "crafts", _("Crafts")
    SCIENCE = "science", _("Science")
    SPORTS = "sports", _("Sports and games")
    READING = "reading", _("Reading")
    PARENTING = "parenting", _("Family education")
    OTHER = "other", pgettext_lazy("subject", "Other")


class YouthActivity(models.Model):
    """The youth area's facts about an events activity: a holiday class or a parenting lecture."""

    activity = models.OneToOneField(
        "events.Activity", on_delete=models.CASCADE, related_name="youth", verbose_name=_("activity")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ProgrammeKind.choices)
    audience = models.CharField(_("for"), max_length=20, choices=Audience.choices)
    subject = models.CharField(_("subject"), max_length=20, choices=Subject.choices, blank=True)
    speaker = models.CharField(_("speaker"), max_length=100, blank=True)
    partner = models.ForeignKey(
        Organization,
        verbose_name=_("with"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="youth_activities",
        help_text=_("The school or volunteer group running it with the community."),
    )

    class Meta:
        verbose_name = _("class or lecture")
        verbose_name_plural = _("classes and lectures")
        indexes = [models.Index(fields=["kind"])]

    def __str__(self):
        return str(self.activity)
