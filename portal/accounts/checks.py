"""System checks of the accounts app: the sign-in limits stay in a sane order.

Every sign-up sends a phone verification code, counted by allauth's ``verify_phone`` limit after the
account is saved. Were the per-address ``signup`` limit above ``verify_phone``'s, the extra sign-ups from
one address would make accounts that get no code (issue 8). The sign-up form also checks the code limit
before saving (portal.accounts.forms.SignupForm.try_save); this check keeps the numbers from drifting.
"""

from __future__ import annotations

import math

from django.core import checks


def _per_ip(rates: str | None) -> list:
    from allauth.core.internal.ratelimit import parse_rates

    return [rate for rate in parse_rates(rates) if rate.per == "ip"]


def _most_in_window(rates: list, window: float) -> float:
    """The most hits these rates (all of them applying) let through in any window of ``window`` seconds."""
    if not rates:
        return math.inf
    return min(rate.amount * max(1, math.ceil(window / rate.duration)) for rate in rates)


def signup_rate_refusals(config: dict) -> list[str]:
    """The ``verify_phone`` per-address rates that the ``signup`` per-address rates let sign-ups exceed."""
    signup = _per_ip(config.get("signup"))
    return [
        str(rate)
        for rate in _per_ip(config.get("verify_phone"))
        if _most_in_window(signup, rate.duration) > rate.amount
    ]


@checks.register(checks.Tags.security)
def check_signup_not_above_code_limits(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    from allauth.account import app_settings

    try:
        exceeded = signup_rate_refusals(app_settings.RATE_LIMITS or {})
    except ValueError as exc:
        return [checks.Error(f"ACCOUNT_RATE_LIMITS cannot be read: {exc}", id="accounts.E002")]
    if not exceeded:
        return []
    return [
        checks.Error(
            "ACCOUNT_RATE_LIMITS lets more sign-ups through from one address than verification codes: "
            f"'signup' allows more than 'verify_phone' ({', '.join(exceeded)}).",
            hint="Make the per-ip 'signup' rate at most the per-ip 'verify_phone' rate: every sign-up sends a code.",
            obj="ACCOUNT_RATE_LIMITS",
            id="accounts.E001",
        )
    ]
