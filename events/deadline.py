"""Deadlines in words: a booking that closes, an offer that expires, a place that can be cancelled until.

A deadline at midnight belongs to the day that ends there: 2026-12-25 00:00 is written "12月24日（周四）
24:00前" ("by 24:00 on Thu 24 Dec"), never "12月25日 00:00", which a resident reads as "on the 25th". Other
times are written as they are ("12月24日（周四）18:00前"). The year is added when it is not this year.
Pages use the template filter ``deadline`` (``{% load deadline %}``, events/templatetags/deadline.py);
messages use :class:`DeadlineText`, a string that renders in the language of the message.

    {{ r.cancel_until|deadline }}         12月24日（周四）24:00   (inside "%(when)s前可取消。")
    {{ r.cancel_until|deadline:"by" }}    12月24日（周四）24:00前 (standing alone: "by 24:00 on Thu 24 Dec")

The portal's sentences carry the "until"/"前"/"截止" themselves ("Open for booking until %(when)s",
msgstr "可预约，%(when)s截止"), so most places use the plain form.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.translation import gettext, pgettext

__all__ = ["DeadlineText", "deadline_text"]


def _weekday(day: datetime.date) -> str:
    names = [
        pgettext("short weekday", "Mon"),
        pgettext("short weekday", "Tue"),
        pgettext("short weekday", "Wed"),
        pgettext("short weekday", "Thu"),
        pgettext("short weekday", "Fri"),
        pgettext("short weekday", "Sat"),
        pgettext("short weekday", "Sun"),
    ]
    return names[day.weekday()]


def _month_name(day: datetime.date) -> str:
    names = [
        pgettext("short month", "Jan"),
        pgettext("short month", "Feb"),
        pgettext("short month", "Mar"),
        pgettext("short month", "Apr"),
        pgettext("short month", "May"),
        pgettext("short month", "Jun"),
        pgettext("short month", "Jul"),
        pgettext("short month", "Aug"),
        pgettext("short month", "Sep"),
        pgettext("short month", "Oct"),
        pgettext("short month", "Nov"),
        pgettext("short month", "Dec"),
    ]
    return names[day.month - 1]  # in Chinese "12月"


def deadline_text(
    value: datetime.datetime | None, *, by: bool = False, today: datetime.date | None = None
) -> str:
    """``value`` (an aware date-time) as the end of a period in the active language, midnight as 24:00 of
    the day before; ``by=True`` adds the "by" ("…前")."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    day, time = local.date(), local.strftime("%H:%M")
    if local.time() == datetime.time(0, 0):
        day, time = day - datetime.timedelta(days=1), "24:00"
    today = today or timezone.localdate()
    params = {
        "year": day.year,
        "month_name": _month_name(day),
        "day": day.day,
        "weekday": _weekday(day),
        "time": time,
    }
    if day.year == today.year:
        text = (
            gettext("by %(time)s on %(weekday)s %(day)s %(month_name)s")
            if by
            else gettext("%(weekday)s %(day)s %(month_name)s, %(time)s")
        )
    else:
        text = (
            gettext("by %(time)s on %(weekday)s %(day)s %(month_name)s %(year)s")
            if by
            else gettext("%(weekday)s %(day)s %(month_name)s %(year)s, %(time)s")
        )
    return text % params


class DeadlineText(str):
    """A deadline for a message's context: written in the language active when the message is rendered
    (notify renders each message in its recipient's language). Its plain value, for what reads the
    context outside a rendering, is the neutral ``2026-12-24 24:00``."""

    def __new__(cls, value: datetime.datetime, *, by: bool = False):
        local = timezone.localtime(value)
        if local.time() == datetime.time(0, 0):
            neutral = f"{(local.date() - datetime.timedelta(days=1)).isoformat()} 24:00"
        else:
            neutral = local.strftime("%Y-%m-%d %H:%M")
        obj = super().__new__(cls, neutral)
        obj.value, obj.by = value, by
        return obj

    def __str__(self) -> str:
        return deadline_text(self.value, by=self.by)
