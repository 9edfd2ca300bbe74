"""The fault tests drive real processes (gunicorn, a Celery worker and beat, redis-server) on the real
clock: the suite's frozen test clock would put this process days away from the processes it watches."""

import os
import shutil

import pytest

from tests.faults import harness


@pytest.fixture(autouse=True)
def _test_clock():
    """The real clock here (overrides tests/conftest.py's frozen one): TOTP codes, the provider's send
    dates and the deadlines are compared with what the subprocesses see."""
    yield


@pytest.fixture(scope="session", autouse=True)
def _fault_templates():
    """The template databases and static files a test process made are dropped at its end."""
    yield
    harness.cleanup()


@pytest.fixture(autouse=True)
def _fault_tools():
    """redis-server, gunicorn and celery are needed: skipped without them, a failure under CI=true."""
    missing = [t for t in ("redis-server",) if not shutil.which(t)]
    missing += [t for t in ("gunicorn", "celery") if not (harness.BIN / t).exists()]
    if missing:
        message = "the fault tests need " + ", ".join(missing)
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(message)
        pytest.skip(message)
