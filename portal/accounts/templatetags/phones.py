"""Phone numbers as people read them: ``{{ number|phone_display }}`` -> "139 0080 6011" (3-4-4, the national
format, no +86), ``{{ number|phone_masked }}`` -> "139 **** 6011" (the pages that say where a code went).

Both take what the portal holds: a ``PhoneNumber`` (``User.phone``, ``Person.phone``), an E.164 string
(``+8613900806011``, what allauth hands the templates), or digits as typed. A value that is not a phone
number (an empty one, "****6011" as a list shows a number to someone who may not see it whole) is shown
as it is.
"""

from __future__ import annotations

import phonenumbers
from django import template

from portal.accounts.phone import national_digits, parse_cn_mobile

register = template.Library()


def _digits_of(value) -> str | None:
    """The 11 national digits of a mainland China mobile number, else None."""
    e164 = parse_cn_mobile(getattr(value, "as_e164", None) or value)
    if not e164:
        return None
    digits = national_digits(str(e164))
    return digits if len(digits) == 11 and digits.isdigit() else None


@register.filter
def phone_display(value) -> str:
    """ "139 0080 6011": a mobile number in three groups; another valid number in its national format."""
    if value in (None, ""):
        return ""
    digits = _digits_of(value)
    if digits:
        return f"{digits[:3]} {digits[3:7]} {digits[7:]}"
    text = str(value).strip()
    try:
        number = phonenumbers.parse(getattr(value, "as_e164", None) or text, "CN")
    except phonenumbers.NumberParseException:
        return text
    if not phonenumbers.is_valid_number(number):
        return text
    if number.country_code == 86:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@register.filter
def phone_masked(value) -> str:
    """ "139 **** 6011": enough for the owner to recognise her number, not enough to read it off a screen."""
    digits = _digits_of(value)
    if digits is None and "*" in str(value or ""):
        return str(value)
    if digits is None:
        text = "".join(c for c in str(value or "") if c.isdigit())
        if len(text) < 7:
            return "*" * len(text)
        return f"{text[:3]} {'*' * (len(text) - 7)} {text[-4:]}"
    return f"{digits[:3]} **** {digits[7:]}"


@register.filter
def phone_tel(value) -> str:
    """The number for a ``tel:`` link (E.164 for a mobile, digits otherwise)."""
    e164 = getattr(value, "as_e164", None) or parse_cn_mobile(value)
    if e164:
        return str(e164)
    return "".join(c for c in str(value or "") if c.isdigit() or c == "+")
