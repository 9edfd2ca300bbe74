"""Accounts: the User (phone first, e-mail optional) and the roles that scope what a user may see."""

from auditlog.registry import auditlog
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    VOLUNTEER = "volunteer", _("Volunteer")
    GRID_WORKER = "grid_worker", _("Grid worker")
    PARTNER_STAFF = "partner_staff", _("Partner organisation staff")
    COMMUNITY_STAFF = "community_staff", _("Community staff")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, phone, password, **extra):
        if not phone:
            raise ValueError("A user needs a mobile phone number.")
        email = self.normalize_email(extra.pop("email", "") or "")
        user = self.model(phone=phone, email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, phone, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(phone, password, **extra)

    def create_superuser(self, phone, password=None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Role.COMMUNITY_STAFF)
        extra.setdefault("phone_verified", True)
        return self._create_user(phone, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. Her resident record (``community.Person``) links back through ``person``."""

    phone = PhoneNumberField(_("mobile phone"), unique=True, region="CN")
    phone_verified = models.BooleanField(_("phone verified"), default=False)
    email = models.EmailField(_("e-mail"), blank=True, default="")
    name = models.CharField(_("name"), max_length=50, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT)
    grid = models.ForeignKey(
        "community.Grid",
        verbose_name=_("grid"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="workers",
        help_text=_("For grid workers: the grid whose residents she serves."),
    )
    organization = models.ForeignKey(
        "community.Organization",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="staff",
        help_text=_("For partner-organisation staff: the organisation she works for."),
    )
    elder_mode = models.BooleanField(_("elder mode"), default=False)
    language = models.CharField(_("language"), max_length=10, blank=True, default="")
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["email"], condition=~Q(email=""), name="user_email_unique_when_set"
            ),
            models.CheckConstraint(
                condition=~Q(role="grid_worker") | Q(grid__isnull=False),
                name="grid_worker_has_grid",
            ),
            models.CheckConstraint(
                condition=~Q(role="partner_staff") | Q(organization__isnull=False),
                name="partner_staff_has_organization",
            ),
        ]

    def __str__(self):
        return self.name or str(self.phone)

    def get_full_name(self):
        return self.name or str(self.phone)

    def get_short_name(self):
        return self.name or str(self.phone)

    def has_role(self, *roles: str) -> bool:
        """True when the account is active and holds one of ``roles``."""
        return self.is_active and self.role in roles

    @property
    def is_resident(self) -> bool:
        return self.has_role(Role.RESIDENT)

    @property
    def is_volunteer(self) -> bool:
        return self.has_role(Role.VOLUNTEER)

    @property
    def is_community_staff(self) -> bool:
        return self.is_active and (self.role == Role.COMMUNITY_STAFF or self.is_superuser)

    @property
    def is_grid_worker(self) -> bool:
        return self.is_active and self.role == Role.GRID_WORKER

    @property
    def is_partner_staff(self) -> bool:
        return self.is_active and self.role == Role.PARTNER_STAFF

    @property
    def works_for_community(self) -> bool:
        """Staff of any kind: may use the staff workbench (each within her own scope)."""
        return self.is_community_staff or self.is_grid_worker or self.is_partner_staff

    @property
    def can_use_mfa(self) -> bool:
        """Staff of any kind (and Django admin users) may turn on two-factor sign-in."""
        return self.is_active and (self.works_for_community or self.is_staff)

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


auditlog.register(User, exclude_fields=["password", "last_login"])
