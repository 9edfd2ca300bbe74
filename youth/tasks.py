"""Celery entry points of the youth area: they take ids, re-read state and call a service."""

from __future__ import annotations
