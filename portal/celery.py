"""The Celery application: broker from settings (Redis, or kombu's filesystem transport by default)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("zhaoxi")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
