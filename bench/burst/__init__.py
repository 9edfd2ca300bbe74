"""What the gunicorn workers of ``bench/booking_burst.py`` load: ``burst.settings`` and ``burst.urls``.

A package, so that ``make bench`` (every ``bench/*.py``) does not run them as benchmarks.
"""
