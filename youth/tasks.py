"""Celery entry points of the youth area: they take ids, re-read state and call a service."""

from __future__ import annotations

from portal.tasks import platform_task


@platform_task
def pickup_overdue_scan() -> dict:
    """Every 10 minutes (beat): children signed in and not signed out after their day-care's end time;
    each guardian told once per child and session, the organiser once per session. Safe to run twice."""
    from .services.pickup import pickup_overdue_notify

    return pickup_overdue_notify()
