"""The demo's way in for staff (called by ``manage.py seed_demo`` once the community exists).

Staff pages need two-factor sign-in (portal.accounts.middleware). So that the demo can be tried at once,
every demo staff account gets TOTP turned on with one published secret, :data:`DEMO_TOTP_SECRET`: add
it to any authenticator app (or run ``manage.py demo_totp_code``) to get the six-digit code asked after
the password. Idempotent: an account that already has TOTP keeps its own.
"""

from __future__ import annotations

import datetime

# Published demo credential (base32), like the demo password. Never used outside the demo accounts.
DEMO_TOTP_SECRET = "ZHAOXIDEMOSTAFFTOTPSECRETYONGXIN"  # noqa: S105
# The demo staff accounts of seed_demo (README "Demo accounts").
DEMO_STAFF_PHONES = (
    "+8613800000001",
    "+8613800000002",
    "+8613800000003",
    "+8613800000006",  # the health-centre nurse (partner staff): her clinic pages need two-factor sign-in
    "+8613800000012",
    "+8613800000013",
    "+8613800000014",
)


def seed(*, stdout, today: datetime.date | None = None) -> None:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from portal.accounts.models import User

    turned_on = 0
    for user in User.objects.filter(phone__in=DEMO_STAFF_PHONES).order_by("pk"):
        if (
            not user.can_use_mfa
            or Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            continue
        TOTP.activate(user, DEMO_TOTP_SECRET)
        turned_on += 1
    stdout.write(
        f"Staff two-factor sign-in: authenticator secret {DEMO_TOTP_SECRET} for every demo staff account "
        f"({turned_on} turned on now); `manage.py demo_totp_code` prints the current code."
    )


def current_code(secret: str = DEMO_TOTP_SECRET) -> str:
    """The code an authenticator app shows now for ``secret``."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2]))
