"""The sign-up limit is never above the code limit: a system check fails the start-up otherwise (issue 8:
the 6th sign-up in a minute made an account that got no code)."""

import pytest
from django.core import checks

from portal.accounts.checks import check_signup_not_above_code_limits


def _limits(settings, **limits):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, **limits}


def test_the_portals_limits_pass():
    assert check_signup_not_above_code_limits() == []


@pytest.mark.parametrize(
    ("signup", "verify_phone"),
    [
        ("5/m/ip", "1/m/key,10/d/key,5/m/ip"),
        ("2/m/ip,3/h/ip", "5/m/ip,10/h/ip"),
        ("1/m/ip", ""),  # no per-address code limit: nothing to exceed
    ],
)
def test_signup_at_or_below_the_code_limit_passes(settings, signup, verify_phone):
    _limits(settings, signup=signup, verify_phone=verify_phone)
    assert check_signup_not_above_code_limits() == []


@pytest.mark.parametrize(
    ("signup", "verify_phone"),
    [
        ("20/m/ip", "1/m/key,10/d/key,5/m/ip"),  # the numbers of the issue
        ("100/h/ip", "5/m/ip"),  # a longer window lets a burst through
        ("1/10s/ip", "5/m/ip"),  # six in a minute
        ("5/m/key", "5/m/ip"),  # no per-address sign-up limit at all
        ("5/m/ip", "5/m/ip,20/h/ip"),  # 300 an hour against 20
    ],
)
def test_signup_above_the_code_limit_fails_the_check(settings, signup, verify_phone):
    _limits(settings, signup=signup, verify_phone=verify_phone)
    [error] = check_signup_not_above_code_limits()
    assert error.id == "accounts.E001" and error.level == checks.ERROR


def test_the_check_is_registered(settings):
    _limits(settings, signup="20/m/ip")
    assert "accounts.E001" in [message.id for message in checks.run_checks()]


def test_unreadable_limits_are_reported(settings):
    _limits(settings, signup="five a minute")
    [error] = check_signup_not_above_code_limits()
    assert error.id == "accounts.E002"
