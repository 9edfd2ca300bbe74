"""Shared test set-up: the test clock, which real services are here, and what happens when one is missing.

Without a service, the tests that need it skip and say why. Under ``CI=true`` nothing may skip for a
missing service: the run fails instead.

The clock: every test starts at the same instant, ``ZHAOXI_TEST_NOW`` (default: an ordinary Wednesday
morning in Asia/Shanghai), and the clock ticks on from there (time-machine, ``tick=True``), so a test sees
the same day whatever the date and hour of the run. Write dates relative to ``timezone.now()`` /
``timezone.localdate()``; run the suite with ``ZHAOXI_TEST_NOW=2026-12-31T23:59:30+08:00`` (or any other
ISO 8601 instant with its offset) to prove a test does not depend on the day. ``ZHAOXI_TEST_NOW=real`` turns
the frozen clock off.
"""

import datetime
import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
import time_machine
from django.conf import settings

# The browser fixtures (one Playwright, one Chromium for the whole run): see tests/browser.py.
pytest_plugins = ["tests.browser"]

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run where a loop
# is running unless told that this is the test harness.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

DEFAULT_TEST_NOW = "2026-11-18T10:00:00+08:00"  # a Wednesday morning: no holiday, no make-up working day


def _test_now() -> datetime.datetime | None:
    value = os.environ.get("ZHAOXI_TEST_NOW", "").strip() or DEFAULT_TEST_NOW
    if value.lower() == "real":
        return None
    moment = datetime.datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise pytest.UsageError(
            f"ZHAOXI_TEST_NOW={value!r} needs a UTC offset, e.g. 2026-11-18T10:00:00+08:00"
        )
    return moment


TEST_NOW = _test_now()


def pytest_report_header(config):
    return f"test clock: {TEST_NOW.isoformat() if TEST_NOW else 'real'} (ZHAOXI_TEST_NOW), ticking"


@pytest.fixture(autouse=True)
def _test_clock():
    """Every test starts at TEST_NOW and the clock ticks on from there (the live server's thread too)."""
    if TEST_NOW is None:
        yield
        return
    with time_machine.travel(TEST_NOW, tick=True):
        yield


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
            "CI=true but services the suite needs are missing: "
            + "; ".join(missing[m] for m in sorted(needed))
        )
    for item in items:
        for marker, reason in missing.items():
            if item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _factory_sequences_from_the_start():
    """Factories whose dates follow their sequence start from it in every test: the same dates in any order."""
    from tests.events.factories import SessionFactory

    SessionFactory.reset_sequence()


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
    LocmemSMSBackend.records.clear()
    yield


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's superuser, with two-factor sign-in on: staff reach the admin only with it
    (portal.accounts.middleware)."""
    from tests.accounts.factories import give_totp

    return give_totp(admin_user)


@pytest.fixture
def retry_countdowns():
    """The countdown of every retry Celery is asked for, in order (``portal.tasks.platform_task`` tests)."""
    from celery.signals import task_retry

    seen: list[float] = []

    def on_retry(sender=None, request=None, reason=None, **kwargs):
        seen.append(reason.when)

    task_retry.connect(on_retry, weak=False)
    yield seen
    task_retry.disconnect(on_retry)


@pytest.fixture
def official_calendar(db):
    """The holidays chinesecalendar knows, as the holidays migration seeded them: a transactional test
    (browser journeys) starts from an emptied database, so ask for this fixture to have them back."""
    from portal.holidays.services import holidays_seed

    holidays_seed()


# --- a faster flush after transactional tests -----------------------------------------------------------
#
# After every transactional test (every browser test among them) Django empties the database with
# ``flush``: one TRUNCATE of every table, then the post_migrate signal re-creates the content types and
# permissions it has just deleted. On PostgreSQL that costs about three seconds a test, almost all of it
# truncating tables that are already empty. This teardown truncates only the tables that have rows, and
# leaves the rows post_migrate would re-create where they are (``POST_MIGRATE_TABLES``), so the database
# ends in the state the full flush leaves. Tests asking for anything special (reset sequences, serialized
# rollback, a subset of apps) keep Django's own flush; so does any other database engine.

POST_MIGRATE_TABLES = ("django_migrations", "django_content_type", "auth_permission")

_FAST_FLUSH_SQL = """
DO $$
DECLARE
  t record;
  found boolean;
  names text := '';
BEGIN
  FOR t IN
    SELECT format('%%I.%%I', schemaname, tablename) AS name FROM pg_tables
    WHERE schemaname = current_schema() AND NOT (tablename = ANY (%s))
  LOOP
    EXECUTE 'SELECT EXISTS (SELECT 1 FROM ' || t.name || ')' INTO found;
    IF found THEN
      names := names || CASE WHEN names = '' THEN '' ELSE ', ' END || t.name;
    END IF;
  END LOOP;
  IF names <> '' THEN
    EXECUTE 'TRUNCATE ' || names || ' CASCADE';
  END IF;
END $$;
"""


def fast_flush(connection) -> None:
    """Empty every table that has rows, except those post_migrate fills (PostgreSQL only)."""
    kept = "ARRAY[" + ", ".join(f"'{name}'" for name in POST_MIGRATE_TABLES) + "]"
    with connection.cursor() as cursor:
        cursor.execute(_FAST_FLUSH_SQL % kept)


def _install_fast_flush():
    from django.db import connections
    from django.test import testcases

    original = testcases.TransactionTestCase._fixture_teardown

    def _fixture_teardown(self):
        names = list(self._databases_names(include_mirrors=False))
        plain = not (self.reset_sequences or self.serialized_rollback or self.available_apps is not None)
        if not plain or any(connections[name].vendor != "postgresql" for name in names):
            return original(self)
        for name in names:
            fast_flush(connections[name])

    testcases.TransactionTestCase._fixture_teardown = _fixture_teardown


if os.environ.get("ZHAOXI_TEST_FULL_FLUSH", "") != "1":  # set it to compare with Django's own flush
    _install_fast_flush()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test databases commit without waiting for the disk (``synchronous_commit=off``): a commit is as
    visible to the other connections as ever (the concurrency tests see the same thing), only a crash of
    the server could lose the last few, which a throwaway test database does not mind. Transactional and
    browser tests commit on every request; ``ZHAOXI_TEST_SYNC_COMMIT=1`` turns it back on to compare."""
    from django.conf import settings

    if os.environ.get("ZHAOXI_TEST_SYNC_COMMIT", "") == "1":
        return
    for db in settings.DATABASES.values():
        if db["ENGINE"].endswith("postgresql"):
            options = db.setdefault("OPTIONS", {})
            options["options"] = f"{options.get('options', '')} -c synchronous_commit=off".strip()
