"""Expiry of one-time codes, reported at the code field.

allauth drops a code-verification process silently once its timeout passes (the person lands on the
sign-in page without a word). We give allauth's processes a longer life (the grace window) and enforce the
code's own validity here, so that a late code gets a clear "this code has expired" next to the field.
The time each code was issued is kept in the session of the person who asked for it.
"""

from __future__ import annotations

import time

from allauth.core import context
from django.conf import settings

SESSION_KEY = "zhaoxi_code_issued"


def code_validity_seconds() -> int:
    return int(getattr(settings, "ACCOUNT_CODE_VALIDITY", 10 * 60))


def _session():
    request = getattr(context, "request", None)
    return getattr(request, "session", None)


def code_issued(code: str) -> None:
    """Remember when ``code`` was issued (called by the adapter whenever allauth makes a code)."""
    session = _session()
    if session is None or not code:
        return
    now = time.time()
    keep_for = code_validity_seconds() * 6
    issued = {c: t for c, t in session.get(SESSION_KEY, {}).items() if now - t < keep_for}
    issued[code] = now
    session[SESSION_KEY] = issued


def code_is_expired(code: str) -> bool:
    """A code counts as expired once its validity has passed, and also when nobody knows when it was
    issued (no session, or not recorded in it): such a code must never outlive its validity."""
    session = _session()
    if session is None or not code:
        return True
    issued_at = session.get(SESSION_KEY, {}).get(code)
    return issued_at is None or time.time() - issued_at > code_validity_seconds()
