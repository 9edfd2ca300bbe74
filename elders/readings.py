"""Reading what a nurse types at the health station: blood pressure "120/80", glucose "6.1", a heart rate, a
weight. Pure functions, no database: the form and the service both use them, and the property test drives
them with arbitrary text.

Text is NFKC-normalised first, so the full-width digits and slash a Chinese input method types ("１２０／８０",
"６．１") read as ASCII; a few separators people use for blood pressure are accepted ("120/80", "120 / 80",
"120:80" is not). What is no plain decimal number (letters, "1e309", "NaN", "Infinity", a sign, more than one
decimal place) is refused with a translated message, as is a value outside the physiological range of the
measure. Values are returned as ``Decimal`` with at most one decimal place (the model's precision).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: Longest text worth reading for one value ("120/80" is 6 characters).
MAX_TEXT = 20

#: A plain decimal number: digits, at most one decimal place (after NFKC).
_NUMBER = re.compile(r"^(\d{1,4})(?:\.(\d))?$")
_BP_SEPARATORS = re.compile(r"\s*[/\\]\s*")


@dataclass(frozen=True)
class Range:
    """The physiological range a value must lie in (both ends included), and its unit."""

    low: Decimal
    high: Decimal
    unit: str


SYSTOLIC = Range(Decimal(50), Decimal(300), "mmHg")
DIASTOLIC = Range(Decimal(20), Decimal(200), "mmHg")
GLUCOSE = Range(Decimal("0.5"), Decimal(40), "mmol/L")
HEART_RATE = Range(Decimal(20), Decimal(250), "bpm")
WEIGHT = Range(Decimal(10), Decimal(300), "kg")


def normalise(text) -> str:
    """NFKC (full-width digits and punctuation become ASCII), whitespace trimmed."""
    return unicodedata.normalize("NFKC", str(text or "")).strip()


def parse_number(
    text, *, what: str, valid: Range, decimals: bool = True, field_label: str | None = None
) -> Decimal:
    """One value: a plain number within ``valid``. ``decimals=False`` wants a whole number (mmHg, bpm).
    ``what`` names the value in the messages ("收缩压")."""
    value = normalise(text)
    if len(value) > MAX_TEXT:
        raise ValidationError(
            _("%(what)s: enter a number, e.g. %(example)s.")
            % {"what": what, "example": _example(valid, decimals)},
            code="not_a_number",
        )
    match = _NUMBER.match(value)
    if not match:
        if value.startswith("-") or value.startswith("−"):
            raise ValidationError(_("%(what)s cannot be negative.") % {"what": what}, code="negative")
        raise ValidationError(
            _("%(what)s: enter a number, e.g. %(example)s.")
            % {"what": what, "example": _example(valid, decimals)},
            code="not_a_number",
        )
    if match.group(2) is not None and not decimals:
        raise ValidationError(
            _("%(what)s: enter a whole number, e.g. %(example)s.")
            % {"what": what, "example": _example(valid, decimals)},
            code="not_whole",
        )
    number = Decimal(value)
    if number == 0:
        raise ValidationError(_("%(what)s cannot be 0.") % {"what": what}, code="zero")
    if not (valid.low <= number <= valid.high):
        raise ValidationError(
            _(
                "%(what)s %(value)s %(unit)s is not possible: it must be between %(low)s and %(high)s %(unit)s."
            )
            % {
                "what": what,
                "value": _plain(number),
                "unit": valid.unit,
                "low": _plain(valid.low),
                "high": _plain(valid.high),
            },
            code="out_of_range",
        )
    return number


def parse_blood_pressure(text) -> tuple[Decimal, Decimal]:
    """ "120/80" (or "１２０／８０") → (120, 80): two whole numbers, systolic above diastolic."""
    value = normalise(text)
    parts = _BP_SEPARATORS.split(value) if len(value) <= MAX_TEXT else []
    if len(parts) != 2 or not all(parts):
        raise ValidationError(
            _("Enter the blood pressure as systolic/diastolic, e.g. 120/80."), code="bp_format"
        )
    systolic = parse_number(parts[0], what=_("Systolic pressure"), valid=SYSTOLIC, decimals=False)
    diastolic = parse_number(parts[1], what=_("Diastolic pressure"), valid=DIASTOLIC, decimals=False)
    if diastolic >= systolic:
        raise ValidationError(
            _(
                "The diastolic pressure (%(diastolic)s) must be lower than the systolic pressure "
                "(%(systolic)s): enter the higher number first, e.g. 120/80."
            )
            % {"diastolic": _plain(diastolic), "systolic": _plain(systolic)},
            code="bp_order",
        )
    return systolic, diastolic


def _plain(number: Decimal) -> str:
    """120 rather than 120.0, 6.1 as 6.1."""
    text = format(number.normalize(), "f")
    return text


def _example(valid: Range, decimals: bool) -> str:
    if valid is GLUCOSE:
        return "6.1"
    if valid is WEIGHT:
        return "58.5"
    if valid is HEART_RATE:
        return "72"
    return "120" if valid is SYSTOLIC else "80"


plain = _plain
