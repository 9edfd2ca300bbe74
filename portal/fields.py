"""Form fields of the platform: dates a person can type, bounded to the years the portal deals with.

Python's dates run from year 1 to 9999, so the day after 9999-12-31 (the end of a period, an "until"
filter) overflows into a 500, and year 1 breaks time-zone arithmetic. No one born, booked or reported on
in the portal lies outside 1900-2100: every date (and date-time) field in every form and filter is one
of these, which refuse anything else with a translated error next to the field. The ``<input>`` has no
``min``/``max``: the browser would refuse with its own bubble, and the portal's message is the server's.

    from portal.fields import BoundedDateField, BoundedDateFilter
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

#: The first and the last day any form of the portal accepts.
MIN_DATE = datetime.date(1900, 1, 1)
MAX_DATE = datetime.date(2100, 12, 31)


class DateInput(forms.DateInput):
    """An HTML5 date picker, in the ISO format the browser sends."""

    input_type = "date"

    def __init__(self, attrs=None, format="%Y-%m-%d"):  # noqa: A002 (Django's own argument name)
        super().__init__(attrs=attrs, format=format)


def validate_date_in_range(value) -> None:
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day is not None and not (MIN_DATE <= day <= MAX_DATE):
        raise ValidationError(
            _("Enter a date between the years %(min)d and %(max)d.")
            % {"min": MIN_DATE.year, "max": MAX_DATE.year},
            code="date_out_of_range",
        )


class BoundedDateField(forms.DateField):
    """A ``DateField`` refusing dates outside ``MIN_DATE``..``MAX_DATE`` (and any text that is no date)."""

    widget = DateInput
    default_validators = [validate_date_in_range]

    def to_python(self, value):
        if isinstance(value, str) and len(value) > 64:  # no date is that long: not worth parsing
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class BoundedDateTimeField(forms.DateTimeField):
    """A ``DateTimeField`` with the same bounds."""

    default_validators = [validate_date_in_range]


class BoundedDateFilter(django_filters.DateFilter):
    """django-filter's ``DateFilter`` on a ``BoundedDateField``: a bad date is a field error on the
    filter form (the list is shown unfiltered, with the error), never a 500."""

    field_class = BoundedDateField
