"""Settings for the gunicorn workers of ``bench/booking_burst.py`` only: the portal's settings, plus the
bench's URLconf (the portal's URLs and the floor view, which must never ship in ``portal.urls``).

``booking_burst.py`` starts gunicorn with ``DJANGO_SETTINGS_MODULE=burst.settings`` and ``bench/`` on
the Python path; ``DATABASE_URL`` names its scratch database. Nothing else imports this module.
"""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "burst.urls"
# Measure the portal as it runs in production: no per-query logging, no debug pages.
DEBUG = False
# Persistent connections for the whole run (the portal's default closes one after 60 s): each worker's
# PostgreSQL backend lives from warm-up to the end, so the bench can read its CPU from /proc.
DATABASES["default"]["CONN_MAX_AGE"] = None  # noqa: F405
