"""The test factories make dates that do not drift: however many sessions a process has made before, the
next one is a week or two away (a date growing with the sequence once pushed a child past an age limit
when the whole of tests/events ran in one process)."""

import datetime

from django.utils import timezone

from .factories import SessionFactory


def test_session_dates_stay_within_five_weeks_however_many_were_made():
    now = timezone.now()
    sessions = SessionFactory.build_batch(1000)
    for session in sessions:
        assert datetime.timedelta(days=6) < session.starts_at - now < datetime.timedelta(days=36)
        assert timezone.localtime(session.starts_at).hour == 9
    # One activity's sessions still start at different times (unique per activity).
    assert len({s.starts_at for s in sessions}) == len(sessions)


def test_sessions_made_in_a_test_start_in_the_order_they_were_made():
    """The sequence starts again in every test (tests/conftest.py), so earlier tests move no dates."""
    first, second, third = SessionFactory.build_batch(3)
    assert first.starts_at < second.starts_at < third.starts_at
    assert timezone.localdate(first.starts_at) == timezone.localdate() + datetime.timedelta(days=7)
