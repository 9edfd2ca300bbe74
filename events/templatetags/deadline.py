"""``{{ when|deadline }}``: a deadline in words, midnight as the end of the day before (events.deadline)."""

from django import template

from events.deadline import deadline_text

register = template.Library()


@register.filter
def deadline(value, arg: str = ""):
    """``{{ r.cancel_until|deadline }}`` "12月24日（周四）24:00"; ``|deadline:"by"`` "12月24日（周四）24:00前"."""
    return deadline_text(value, by=arg == "by")
