"""Every write of the registration engine, split by topic.

* ``eligibility``: who may book what, and why not (read-only, used by the writers and the pages);
* ``booking``: book, book on behalf, cancel; lottery applications are bookings in a lottery activity;
* ``waitlist``: promote the next unit, offers (accept, decline, expire), leave the waitlist;
* ``lottery``: the seeded draw and its re-run;
* ``sessions``: create sessions, weekly recurrence, staff cancellation of a session.

Each function is keyword-only, typed, runs in one ``transaction.atomic`` and raises a translated
``ValidationError`` with the reason for every refusal (``PermissionDenied`` / ``Http404`` come from the
scoped selectors for what the actor may not touch at all).
"""
