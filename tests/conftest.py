"""Shared test set-up: which real services are here, and what happens when one is missing.

Without a service, the tests that need it skip and say why. Under ``CI=true`` nothing may skip for a
missing service: the run fails instead.
"""

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

# The browser fixtures (one Playwright, one Chromium for the whole run): see tests/browser.py.
pytest_plugins = ["tests.browser"]

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run where a loop
# is running unless told that this is the test harness.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _on_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def _redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL", "")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=2):
            return True
    except OSError:
        return False


def _browser_available() -> tuple[bool, str]:
    try:
        import playwright  # noqa: F401
    except ImportError:
        return False, "the playwright package is not installed"
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        return False, f"Chromium is not installed at {CHROMIUM} (apt-get install -y chromium)"
    return True, ""


def pytest_collection_modifyitems(config, items):
    missing = {}
    if not _on_postgres():
        missing["postgres"] = "needs PostgreSQL: set DATABASE_URL=postgres://..."
    if not _redis_reachable():
        missing["redis"] = "needs Redis: set REDIS_URL=redis://... to a running server"
    ok, why = _browser_available()
    if not ok:
        missing["browser"] = why
    needed = {m for item in items for m in missing if item.get_closest_marker(m)}
    if IN_CI and needed:
        raise pytest.UsageError(
            "CI=true but services the suite needs are missing: " + "; ".join(missing[m] for m in sorted(needed))
        )
    for item in items:
        for marker, reason in missing.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    """Every test: eager-free Celery, console SMS, and no lockouts carried between tests."""
    settings.SMS_BACKEND = "portal.accounts.sms.LocmemSMSBackend"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.AXES_ENABLED = False
    settings.MEDIA_ROOT = tmp_path / "media"
    from django.core.cache import cache

    from portal.accounts.sms import LocmemSMSBackend

    cache.clear()
    LocmemSMSBackend.outbox.clear()
    yield
