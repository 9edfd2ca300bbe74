"""The test clock (tests/conftest.py): every test starts at the same instant, ZHAOXI_TEST_NOW, whatever
the date and hour of the run, and the clock ticks on from there."""

import datetime
import threading
import time

import pytest
from django.utils import timezone

from tests.conftest import TEST_NOW

pytestmark = pytest.mark.skipif(TEST_NOW is None, reason="ZHAOXI_TEST_NOW=real: the clock is not frozen")


def test_every_test_starts_at_the_configured_instant():
    now = timezone.now()
    assert datetime.timedelta(0) <= now - TEST_NOW < datetime.timedelta(minutes=1)
    assert timezone.localdate() == TEST_NOW.astimezone(timezone.get_current_timezone()).date()
    assert abs(time.time() - TEST_NOW.timestamp()) < 60


def test_the_clock_ticks_and_other_threads_see_it():
    """tick=True: time goes on (timeouts and "how long ago" work); the live server's thread sees it too."""
    first = timezone.now()
    seen = []
    worker = threading.Thread(target=lambda: seen.append(timezone.now()))
    time.sleep(0.01)
    worker.start()
    worker.join()
    assert first < seen[0] < TEST_NOW + datetime.timedelta(minutes=1)
