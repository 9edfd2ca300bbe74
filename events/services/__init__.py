"""Every write of the registration engine, split by topic.

* ``eligibility``: who may book what, and why not (read-only, used by the writers and the pages);
* ``booking``: book, book on behalf, cancel; lottery applications are bookings in a lottery activity;
* ``waitlist``: promote the next unit, offers (accept, decline, expire), leave the waitlist;
* ``lottery``: the seeded draw and its re-run;
* ``sessions``: create sessions, weekly recurrence, staff cancellation of a session;
* ``reminders``: reminders before each session (rows found by a periodic scan), staff messages to everyone booked.

Each function is keyword-only, typed, runs in one ``transaction.atomic`` and raises a translated
``ValidationError`` with the reason for every refusal (``PermissionDenied`` / ``Http404`` come from the
scoped selectors for what the actor may not touch at all).
"""

from ._pool import pool_counters_drift, pools_recount
from .booking import (
    booking_create,
    booking_create_by_ids,
    booking_create_on_behalf,
    cancel_deadline,
    registration_cancel,
)
from .eligibility import Eligibility, WindowState, activity_bookable, person_eligible, window_state
from .lottery import lottery_allocate, lottery_commitment_ensure, lottery_draw, lottery_rerun
from .reminders import (
    reminder_due_at,
    reminder_leads,
    reminder_rules_set,
    reminders_cancel_for,
    reminders_fill,
    reminders_refresh_for,
    reminders_scan,
    reminders_schedule_for,
    reminders_send_due,
    session_message_send,
)
from .sessions import (
    session_cancel,
    session_create,
    session_update,
    sessions_create_course,
    sessions_create_on_dates,
    sessions_generate_weekly,
)
from .waitlist import (
    offer_accept,
    offer_decline,
    offer_expire,
    offers_expire_due,
    waitlist_leave,
    waitlist_promote_next,
)

__all__ = [
    "Eligibility",
    "WindowState",
    "activity_bookable",
    "booking_create",
    "booking_create_by_ids",
    "pool_counters_drift",
    "pools_recount",
    "booking_create_on_behalf",
    "cancel_deadline",
    "lottery_allocate",
    "lottery_commitment_ensure",
    "lottery_draw",
    "lottery_rerun",
    "offer_accept",
    "offer_decline",
    "offer_expire",
    "offers_expire_due",
    "person_eligible",
    "registration_cancel",
    "reminder_due_at",
    "reminder_leads",
    "reminder_rules_set",
    "reminders_cancel_for",
    "reminders_fill",
    "reminders_refresh_for",
    "reminders_scan",
    "reminders_schedule_for",
    "reminders_send_due",
    "session_cancel",
    "session_create",
    "session_message_send",
    "session_update",
    "sessions_create_course",
    "sessions_create_on_dates",
    "sessions_generate_weekly",
    "waitlist_leave",
    "waitlist_promote_next",
    "window_state",
]

# Check-in (events/services/checkin.py)
from .checkin import (  # noqa: E402
    checkin_record,
    checkin_ticket,
    checkin_token_parse,
    checkout_record,
)

__all__ += ["checkin_record", "checkin_ticket", "checkin_token_parse", "checkout_record"]

# Volunteer shifts (events/services/shifts.py)
from .shifts import (  # noqa: E402
    shift_check_in,
    shift_check_out,
    shift_hours,
    shift_signup,
    shift_signup_cancel,
    shifts_autoclose_due,
)

__all__ += [
    "shift_check_in",
    "shift_check_out",
    "shift_hours",
    "shift_signup",
    "shift_signup_cancel",
    "shifts_autoclose_due",
]

# Checkpoints and self check-in at the venue (events/services/checkpoints.py)
from .checkpoints import (  # noqa: E402
    checkin_self_at_venue,
    checkpoint_stamp,
    venue_code_check,
    venue_code_for,
    venue_sessions_today,
)

__all__ += [
    "checkin_self_at_venue",
    "checkpoint_stamp",
    "venue_code_check",
    "venue_code_for",
    "venue_sessions_today",
]

from .feeds import feed_key_reset  # noqa: E402

__all__ += ["feed_key_reset"]

# Staff create and change activities (events/services/activities.py)
from .activities import activity_create, activity_update  # noqa: E402

__all__ += ["activity_create", "activity_update"]
