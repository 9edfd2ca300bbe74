"""The community registry: grids (网格), estates (小区), households, residents, family relations,
partner organisations, consents under PIPL, and the log of every view of sensitive data."""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class OrganizationKind(models.TextChoices):
    NURSING_HOME = "nursing_home", _("Nursing home")
    HEALTH_CENTRE = "health_centre", _("Health centre")
    SCHOOL = "school", _("School")
    EMPLOYER = "employer", _("Employer")
    PROPERTY_COMPANY = "property_company", _("Property company")
    SOCIAL_ORGANIZATION = "social_organization", _("Social organisation")
    VOLUNTEER_GROUP = "volunteer_group", _("Volunteer group")
    GOVERNMENT = "government", _("Government body")


class Organization(models.Model):
    """A partner: the nursing home, the health centre, a school, an employer, the property company..."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=OrganizationKind.choices)
    contact_name = models.CharField(_("contact person"), max_length=50, blank=True)
    contact_phone = PhoneNumberField(_("contact phone"), blank=True, region="CN")
    address = models.CharField(_("address"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Grid(models.Model):
    """网格: the unit of grid management, a block of buildings served by one grid worker team."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_grids",
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Estate(models.Model):
    """小区: a residential estate within the community."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    address = models.CharField(_("street address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("estate")
        verbose_name_plural = _("estates")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Building(models.Model):
    estate = models.ForeignKey(
        Estate, verbose_name=_("estate"), on_delete=models.PROTECT, related_name="buildings"
    )
    number = models.CharField(_("building number"), max_length=20)
    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="buildings")

    class Meta:
        verbose_name = _("building")
        verbose_name_plural = _("buildings")
        ordering = ["estate__name", "number"]
        constraints = [models.UniqueConstraint(fields=["estate", "number"], name="building_unique_in_estate")]

    def __str__(self):
        return _("%(estate)s building %(number)s") % {"estate": self.estate.name, "number": self.number}


class Household(models.Model):
    """户: one dwelling (estate, building, unit, room) and the people registered there."""

    building = models.ForeignKey(
        Building, verbose_name=_("building"), on_delete=models.PROTECT, related_name="households"
    )
    unit = models.CharField(_("unit"), max_length=10, blank=True)
    room = models.CharField(_("room"), max_length=10)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")
        ordering = ["building__estate__name", "building__number", "unit", "room"]
        constraints = [
            models.UniqueConstraint(fields=["building", "unit", "room"], name="household_unique_address"),
        ]

    def __str__(self):
        return self.address

    @property
    def address(self) -> str:
        values = {
            "estate": self.building.estate.name,
            "building": self.building.number,
            "unit": self.unit,
            "room": self.room,
        }
        if self.unit:
            return _("%(estate)s, building %(building)s, unit %(unit)s, room %(room)s") % values
        return _("%(estate)s, building %(building)s, room %(room)s") % values

    @property
    def short_address(self) -> str:
        """The form everyone in China reads the same way, in any language: "和谐怡园佳苑 3-1-502"."""
        numbers = "-".join(p for p in (self.building.number, self.unit, self.room) if p)
        return f"{self.building.estate.name} {numbers}"

    @property
    def grid(self):
        return self.building.grid


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


class PersonQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def aged_at_least(self, years: int, on: date | None = None):
        on = on or timezone.localdate()
        try:
            cutoff = on.replace(year=on.year - years)
        except ValueError:  # 29 February
            cutoff = on.replace(year=on.year - years, day=28)
        return self.filter(birth_date__lte=cutoff)

    def aged_under(self, years: int, on: date | None = None):
        on = on or timezone.localdate()
        try:
            cutoff = on.replace(year=on.year - years)
        except ValueError:
            cutoff = on.replace(year=on.year - years, day=28)
        return self.filter(birth_date__gt=cutoff)


class Person(models.Model):
    """A resident record, with or without a user account: an elder without a phone, a child."""

    name = models.CharField(_("full name"), max_length=50)
    name_pinyin = models.CharField(
        _("name in pinyin"), max_length=200, blank=True, editable=False, db_index=True
    )
    name_initials = models.CharField(
        _("pinyin initials"), max_length=50, blank=True, editable=False, db_index=True
    )
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, blank=True)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    phone = PhoneNumberField(_("mobile phone"), blank=True, region="CN")
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    lives_alone = models.BooleanField(_("lives alone"), default=False)
    is_widowed = models.BooleanField(_("widowed"), default=False)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Cleared when a person moves away.")
    )
    served_by = models.ManyToManyField(
        Organization,
        verbose_name=_("served by"),
        blank=True,
        related_name="clients",
        help_text=_("Partner organisations whose staff serve this person."),
    )
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

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering = ["name_pinyin", "id"]
        indexes = [
            models.Index(fields=["phone"]),
            # Lists of people in name order (a day-care's roster, issue 13) walk this index and stop after
            # a page, rather than joining and sorting everyone on the list.
            models.Index(fields=["name", "id"], name="person_name_order"),
            # The active people by birth date: "N elders" (aged 60 or more) is counted from it alone, an
            # index-only scan, instead of reading every person (issue 13).
            models.Index(fields=["birth_date"], condition=Q(is_active=True), name="person_active_birth"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Derived search keys, kept in step with the name (see portal.community.search).
        from .search import pinyin_keys

        self.name_pinyin, self.name_initials = pinyin_keys(self.name)
        if (
            "update_fields" in kwargs
            and kwargs["update_fields"] is not None
            and "name" in kwargs["update_fields"]
        ):
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_pinyin", "name_initials"}
        super().save(*args, **kwargs)

    def age_on(self, day: date) -> int | None:
        if not self.birth_date:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

    @property
    def age(self) -> int | None:
        return self.age_on(timezone.localdate())

    @property
    def is_minor(self) -> bool:
        age = self.age
        return age is not None and age < 18

    @property
    def needs_guardian_consent(self) -> bool:
        """PIPL art. 31: personal information of a child under 14 needs a guardian's consent."""
        age = self.age
        return age is not None and age < 14


class AdlLevel(models.TextChoices):
    """Ability in the activities of daily living (日常生活活动能力), as the civil-affairs assessment grades it."""

    INDEPENDENT = "independent", _("Independent")
    MILD = "mild", _("Mildly dependent")
    MODERATE = "moderate", _("Moderately dependent")
    SEVERE = "severe", _("Severely dependent")


#: The levels that count as 失能 (incapacitated) for care and outreach.
ADL_DEPENDENT = (AdlLevel.MILD, AdlLevel.MODERATE, AdlLevel.SEVERE)


class SensitiveProfile(models.Model):
    """Sensitive personal information (PIPL art. 28): health, disability, care needs.

    Kept apart from Person so that it is read only through ``selectors.sensitive_profile_for``, which checks
    the role and writes an AccessLog row for every view.
    """

    person = models.OneToOneField(
        Person, on_delete=models.CASCADE, related_name="sensitive", verbose_name=_("person")
    )
    health_conditions = models.TextField(_("health conditions"), blank=True)
    disability = models.CharField(_("disability"), max_length=100, blank=True)
    care_level = models.CharField(_("care level"), max_length=50, blank=True)
    allergies = models.CharField(_("allergies"), max_length=200, blank=True)
    medications = models.TextField(_("medications"), blank=True)
    notes = models.TextField(_("other notes"), blank=True)
    adl_level = models.CharField(
        _("daily-living ability"),
        max_length=20,
        choices=AdlLevel.choices,
        blank=True,
        help_text=_("From the daily-living assessment; mildly to severely dependent counts as 失能."),
    )
    receives_dibao = models.BooleanField(_("receives the minimum living allowance (低保)"), default=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("sensitive profile")
        verbose_name_plural = _("sensitive profiles")

    def __str__(self):
        return str(self.person)


class RelationKind(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian of")
    CARER = "carer", _("Carer of")
    SPOUSE = "spouse", _("Spouse of")
    CHILD = "child", _("Child of")


#: Relations that let the subject act for the other person (book, consent, edit).
ACTING_RELATIONS = (RelationKind.GUARDIAN, RelationKind.CARER)


class Relation(models.Model):
    """``subject`` is <kind> of ``relative``: "Zhu Xiaoyan is guardian of her son"."""

    subject = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="relations", verbose_name=_("person")
    )
    relative = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="relations_to", verbose_name=_("relative")
    )
    kind = models.CharField(_("relation"), max_length=20, choices=RelationKind.choices)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("family relation")
        verbose_name_plural = _("family relations")
        constraints = [
            models.UniqueConstraint(fields=["subject", "relative", "kind"], name="relation_unique"),
            models.CheckConstraint(condition=~Q(subject=models.F("relative")), name="relation_not_self"),
        ]

    def __str__(self):
        return f"{self.subject} — {self.get_kind_display()} — {self.relative}"


class EmergencyContact(models.Model):
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="emergency_contacts", verbose_name=_("person")
    )
    name = models.CharField(_("full name"), max_length=50)
    phone = PhoneNumberField(_("phone"), region="CN")
    relationship = models.CharField(_("relationship"), max_length=30, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=1)

    class Meta:
        verbose_name = _("emergency contact")
        verbose_name_plural = _("emergency contacts")
        ordering = ["person", "priority"]

    def __str__(self):
        return f"{self.name} ({self.relationship})"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for staff")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class HouseholdClaim(models.Model):
    """A resident's request to be recognised as living at a household; staff confirm it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="household_claims",
        verbose_name=_("user"),
    )
    household = models.ForeignKey(
        Household, on_delete=models.CASCADE, related_name="claims", verbose_name=_("household")
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.PENDING
    )
    message = models.CharField(_("message to staff"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_note = models.CharField(_("note from staff"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("household claim")
        verbose_name_plural = _("household claims")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(status="pending"), name="one_pending_claim_per_user"
            ),
        ]

    def __str__(self):
        return f"{self.user} → {self.household}"


class ConsentPurpose(models.TextChoices):
    SERVICES = "services", _("Community services and records")
    NOTIFICATIONS = "notifications", _("Notices by SMS and e-mail")
    HEALTH = "health", _("Health information (sensitive)")
    MINOR = "minor", _("A child's personal information (sensitive)")
    PHOTOS = "photos", _("Photos and videos at activities")


SENSITIVE_PURPOSES = (ConsentPurpose.HEALTH, ConsentPurpose.MINOR)


class ConsentQuerySet(models.QuerySet):
    def active(self):
        return self.filter(withdrawn_at__isnull=True)


class Consent(models.Model):
    """A purpose-specific consent (PIPL arts. 14, 29, 31) with the version of the notice shown."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="consents", verbose_name=_("person")
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    notice_version = models.CharField(_("notice version"), max_length=20)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="consents_given",
        verbose_name=_("given by"),
    )
    given_as_guardian = models.BooleanField(_("given by a guardian"), default=False)
    recorded_at_desk = models.BooleanField(
        _("recorded at the desk"),
        default=False,
        help_text=_("Staff recorded it on her behalf from the form she signed (she has no account)."),
    )
    given_at = models.DateTimeField(_("given"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-given_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "purpose"],
                condition=Q(withdrawn_at__isnull=True),
                name="one_active_consent",
            ),
        ]

    def __str__(self):
        return f"{self.person} — {self.get_purpose_display()}"

    @property
    def is_sensitive(self) -> bool:
        return self.purpose in SENSITIVE_PURPOSES


class AccessLog(models.Model):
    """One row for every view of a person's sensitive fields: who, whose, what, when, from where."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("viewer"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="access_logs", verbose_name=_("person")
    )
    fields = models.CharField(_("fields"), max_length=200)
    reason = models.CharField(_("where"), max_length=100)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("sensitive data access")
        verbose_name_plural = _("sensitive data accesses")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.user} viewed {self.person} ({self.fields})"
