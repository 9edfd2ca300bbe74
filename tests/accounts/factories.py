import factory

from portal.accounts.models import Role, User

# The TOTP secret of every staff user the factory makes (base32): tests compute her current code with
# allauth's own helpers, see ``totp_code``.
STAFF_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def totp_code(secret: str = STAFF_TOTP_SECRET) -> str:
    """The code an authenticator app shows now for ``secret``."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))


def give_totp(user, secret: str = STAFF_TOTP_SECRET):
    """Turn on two-factor sign-in (TOTP) for ``user``, as allauth's activation page does."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return user


class UserFactory(factory.django.DjangoModelFactory):
    """A user; staff of every kind (and admin users) come with TOTP turned on, since the sensitive areas
    require it. ``UserFactory(totp=False, role=...)`` makes a staff member who has not set it up."""

    class Meta:
        model = User
        django_get_or_create = ("phone",)
        skip_postgeneration_save = True

    phone = factory.Sequence(lambda n: f"+86139{n:08d}")
    phone_verified = True
    name = factory.Faker("name", locale="zh_CN")
    role = Role.RESIDENT
    password = factory.PostGenerationMethodCall("set_password", "correct-horse-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()

    @factory.post_generation
    def totp(obj, create, extracted, **kwargs):
        if create and extracted is not False and obj.can_use_mfa:
            give_totp(obj)
