"""Sign-in limits: who is counted (the account and the client address, never everyone) and how long to wait.

Three mechanisms count attempts, and all of them see the same client address and the same account:

* allauth's rate limits (``ACCOUNT_RATE_LIMITS``): per client address, per user, or per "key" (the phone
  number or e-mail address). The failed-login key is the account's phone number or e-mail address
  (:meth:`portal.accounts.adapter.AccountAdapter._get_login_attempts_cache_key`), so a stranger guessing
  made-up numbers never locks anybody else out.
* django-axes (``AXES_*``): a lockout per account (phone in E.164 or lower-cased e-mail, whatever form
  sent it: allauth's sign-in, the admin, a reauthentication) and per client address, with a cool-off.
* the client address itself: :func:`client_ip`, used by allauth (through the adapter) and by axes
  (``AXES_CLIENT_IP_CALLABLE``). Behind ``ZHAOXI_TRUSTED_PROXY_COUNT`` reverse proxies it is the address
  the nearest untrusted hop reported in ``X-Forwarded-For``; with 0 (the default) the header is ignored.

Whenever a person runs into one of these limits she is told how long to wait ("请60秒后再试"): allauth's
limiter notes on the request how long the refusing limit still runs (:func:`install`), and every
answer (the 429 page, the form error, the message) reads it through :func:`retry_after`.
"""

from __future__ import annotations

import math
import time
from functools import wraps

from django.core.cache import cache
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

REQUEST_ATTR = "zhaoxi_retry_after"
TOLD_ATTR = "zhaoxi_told_retry_after"


# --- how long to wait -----------------------------------------------------------------------------


def note_retry_after(request, seconds: float) -> None:
    """Remember on the request that the person may try again in ``seconds`` (the longest wait wins)."""
    if request is None:
        return
    seconds = max(1, math.ceil(seconds))
    setattr(request, REQUEST_ATTR, max(seconds, getattr(request, REQUEST_ATTR, 0) or 0))


def note_told(request) -> None:
    """The answer to this request already tells the person about the refusal (an error message)."""
    if request is not None:
        setattr(request, TOLD_ATTR, True)


def told(request) -> bool:
    return bool(getattr(request, TOLD_ATTR, False))


def retry_after(request) -> int | None:
    """Seconds until the limit this request ran into lets the person try again (None: no limit hit)."""
    return getattr(request, REQUEST_ATTR, None) if request is not None else None


def wait_message(seconds: int | None) -> str:
    """ "Please try again in 60 seconds." (minutes from two minutes on, hours from two hours on)."""
    if not seconds:
        return _("Please try again later.")
    if seconds < 120:
        return ngettext(
            "Please try again in %(count)d second.", "Please try again in %(count)d seconds.", seconds
        ) % {"count": seconds}
    if seconds < 2 * 3600:
        minutes = math.ceil(seconds / 60)
        return ngettext(
            "Please try again in %(count)d minute.", "Please try again in %(count)d minutes.", minutes
        ) % {"count": minutes}
    hours = math.ceil(seconds / 3600)
    return ngettext("Please try again in %(count)d hour.", "Please try again in %(count)d hours.", hours) % {
        "count": hours
    }


def respond_429(request, *, seconds: int | None = None):
    """The portal's "too many attempts" page (in its layout, translated), saying how long to wait."""
    if seconds is not None:
        note_retry_after(request, seconds)
    wait = retry_after(request)
    response = render(request, "429.html", {"retry_after": wait}, status=429)
    if wait:
        response["Retry-After"] = str(wait)
    return response


def history_wait(history: list[float], rate, now: float) -> float:
    """Seconds until a rate with this hit history (newest first) accepts one more hit; 0 when it does now."""
    live = [ts for ts in history if ts > now - rate.duration]
    if len(live) < rate.amount:
        return 0
    return max(0.0, live[rate.amount - 1] + rate.duration - now)


def _history_wait(history: list[float], rate, now: float) -> float:
    """``history_wait`` for a rate that refused: at least a moment (refused for another reason, such as a
    busy cache lock, a moment is enough)."""
    return history_wait(history, rate, now) or 1


def install() -> None:
    """Make allauth's limiter note on the request how long each refusing limit still runs.

    allauth (65.x) decides every rate limit in ``allauth.core.internal.ratelimit._consume_single_rate``
    and answers a refusal in several ways (a 429 page, a form error, a message, or a ``RateLimited``
    exception) without saying how long the limit lasts. The wrapper reads the refusing limit's history
    from the cache after allauth refused, and changes nothing in allauth's decision.
    """
    from allauth.core.exceptions import RateLimited
    from allauth.core.internal import ratelimit as allauth_ratelimit

    original = getattr(allauth_ratelimit, "_consume_single_rate", None)
    if original is None or getattr(original, "zhaoxi_notes_retry_after", False):
        return  # another allauth: the answers say "please try again later" (tests/accounts/test_rate_limit_pages.py fails)

    def note(request, *, app, action, rate, key, user):
        cache_key = allauth_ratelimit.get_cache_key(
            request, app=app, action=action, rate=rate, key=key, user=user
        )
        note_retry_after(request, _history_wait(cache.get(cache_key, []), rate, time.time()))

    @wraps(original)
    def consume_single_rate(
        request, *, app, action, rate, key=None, user=None, dry_run=False, raise_exception=False
    ):
        try:
            usage = original(
                request,
                app=app,
                action=action,
                rate=rate,
                key=key,
                user=user,
                dry_run=dry_run,
                raise_exception=raise_exception,
            )
        except RateLimited:
            note(request, app=app, action=action, rate=rate, key=key, user=user)
            raise
        if usage is None and not dry_run:
            note(request, app=app, action=action, rate=rate, key=key, user=user)
        return usage

    consume_single_rate.zhaoxi_notes_retry_after = True
    allauth_ratelimit._consume_single_rate = consume_single_rate


# --- limits checked before anything is saved ------------------------------------------------------


def limit_wait(request, *, action: str, key: str | None = None) -> int:
    """Seconds until allauth's limits of ``action`` (``ACCOUNT_RATE_LIMITS``) let one more through for
    ``key`` and the request's client address; 0 when they do now. Reads the limits' history, counts
    nothing (also on a GET, where allauth's own check always says yes)."""
    from allauth.core.internal import ratelimit as allauth_ratelimit

    now = time.time()
    wait = 0.0
    for rate in allauth_ratelimit.get_rates(app="allauth.account", action=action):
        if (rate.per == "key" and not key) or (
            rate.per == "user" and not getattr(getattr(request, "user", None), "is_authenticated", False)
        ):
            continue
        cache_key = allauth_ratelimit.get_cache_key(
            request, app="allauth.account", action=action, rate=rate, key=key
        )
        wait = max(wait, history_wait(cache.get(cache_key, []), rate, now))
    return math.ceil(wait) if wait > 0 else 0


def limits_refuse(request, *, action: str, key: str | None = None) -> int | None:
    """None when one more ``action`` for ``key`` is within every limit it will hit (allauth's dry run:
    nothing is counted); otherwise the seconds to wait. For checking before anything is saved."""
    from allauth.core import ratelimit

    if request is None or ratelimit.consume(request, action=action, key=key, dry_run=True):
        return None
    return max(1, limit_wait(request, action=action, key=key))


# --- the client address ---------------------------------------------------------------------------


def client_ip(request) -> str | None:
    """The client's address: ``REMOTE_ADDR``, or behind ``ALLAUTH_TRUSTED_PROXY_COUNT`` (fed by
    ``ZHAOXI_TRUSTED_PROXY_COUNT``) trusted proxies the address the nearest untrusted hop reported in
    ``X-Forwarded-For``. A request that skipped the proxies (a shorter header than the proxy count) is
    counted under ``REMOTE_ADDR`` instead of failing."""
    from allauth.core.internal import httpkit
    from django.core.exceptions import ImproperlyConfigured

    try:
        return httpkit.get_client_ip(request)
    except ImproperlyConfigured:
        remote = request.META.get("REMOTE_ADDR")
        return httpkit.clean_client_ip(remote) if remote else None


def axes_client_ip(request) -> str | None:
    """``AXES_CLIENT_IP_CALLABLE``: the same address allauth counts."""
    return client_ip(request)


# --- the account axes counts ----------------------------------------------------------------------

# Where sign-in forms put the account: allauth ("login", "phone", "email"), the admin's form and
# Django's backends ("username", our USERNAME_FIELD "phone").
_ACCOUNT_FIELDS = ("login", "phone", "email", "username")


def account_key(value) -> str:
    """One spelling per account: a phone number in E.164, an e-mail address lower-cased, else stripped."""
    from portal.accounts.phone import parse_cn_mobile

    text = str(value or "").strip()
    if not text:
        return ""
    if "@" in text:
        return text.lower()
    return parse_cn_mobile(text) or text.lower()


def axes_username(request, credentials) -> str:
    """``AXES_USERNAME_CALLABLE``: the account a sign-in attempt was for ("" when none was named)."""
    for source in (credentials or {}, getattr(request, "POST", None) or {}):
        for field in _ACCOUNT_FIELDS:
            key = account_key(source.get(field))
            if key:
                return key
    return ""


def axes_lockout_parameters(request_or_attempt, credentials=None) -> list:
    """``AXES_LOCKOUT_PARAMETERS``: lock the client address, and the account when one was named. An
    attempt naming no account is never counted under a shared empty name."""
    username = getattr(request_or_attempt, "username", None)
    if username is None:
        username = axes_username(request_or_attempt, credentials)
    return ["ip_address", "username"] if username else ["ip_address"]


def axes_lockout_response(request, original_response=None, credentials=None):
    """``AXES_LOCKOUT_CALLABLE``: the portal's 429 page, saying when to try again (the cool-off)."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    return respond_429(request, seconds=cool_off.total_seconds() if cool_off else None)
