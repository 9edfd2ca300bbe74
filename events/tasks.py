"""Celery entry points of the engine: take primary keys, re-read, call a service; safe to run twice."""

from portal.tasks import platform_task

from .services import waitlist


@platform_task
def expire_offers() -> int:
    """Periodic (every minute): expire waitlist offers whose time is up and pass the seats on."""
    return waitlist.offers_expire_due()


@platform_task
def promote_waitlist(activity_id: int, session_id: int | None = None) -> int:
    """Offer any free seats of a pool to its waitlist (e.g. after staff raise the capacity)."""
    from .models import Activity, Session

    activity = Activity.objects.filter(pk=activity_id).first()
    if activity is None:
        return 0
    session = Session.objects.filter(pk=session_id, activity=activity).first() if session_id else None
    if session_id and session is None:
        return 0
    return len(waitlist.waitlist_promote_next(activity=activity, session=session))


@platform_task
def send_due_reminders() -> int:
    """Periodic (every minute): create missing reminder rows, then send the due ones, exactly once."""
    from .services.reminders import reminders_scan

    return reminders_scan()


@platform_task
def autoclose_shifts() -> int:
    """Periodic (every 15 minutes): close volunteer check-ins nobody checked out, flagging their hours."""
    from .services.shifts import shifts_autoclose_due

    return shifts_autoclose_due()
