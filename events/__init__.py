"""Events: the one registration engine every service area books through (issue #3).

Models in ``events.models``; writes in ``events.services`` (eligibility, booking, waitlist, lottery,
sessions); scoped reads in ``events.selectors``; the weekly recurrence on the official Chinese calendar
in ``events.recurrence``; Celery entry points in ``events.tasks``.
"""
