"""Celery entry points of the elders area: take ids or dates, re-read, call a service; safe to run twice."""

from __future__ import annotations

import datetime

from portal.tasks import platform_task


@platform_task
def daily_outreach(day: str | None = None) -> dict:
    """Daily (beat, 07:30 Asia/Shanghai): risk levels and contact plans, the visit-and-call scan, missed
    deliveries, birthday greetings; each step in its own transaction, a failing step logged and the others
    run. ``day`` (ISO date) runs it for another day (a catch-up after an outage)."""
    from .services.outreach import outreach_daily_run

    today = datetime.date.fromisoformat(day) if day else None
    return outreach_daily_run(today=today)
