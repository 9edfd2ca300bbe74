"""Form fields of the platform: dates a person can type, bounded to the years the portal deals with.

Python's dates run from year 1 to 9999, so the day after 9999-12-31 (the end of a period, an "until"
filter) overflows into a 500, and year 1 breaks time-zone arithmetic. No one born, booked or reported on
in the portal lies outside 1900-2100: every date (and date-time) field in every form and filter is one
of these, which refuse anything else with a translated error next to the field. The ``<input>`` has no
``min``/``max``: the browser would refuse with its own bubble, and the portal's message is the server's.

    from portal.fields import BoundedDateField, BoundedDateFilter

A date of birth is no date to pick from a calendar that opens at today (a resident born in 1942 would
page back 84 years): every date of birth of the portal is a :class:`DateOfBirthField`, three boxes
(year, month, day: labelled 年/月/日, numeric keypad, ``autocomplete="bday-*"``) read by one
:class:`DateOfBirthWidget`, with an error that says which part to fix ("请填写出生年份，例如1942",
"2月没有30日"). It keeps the same bounds. A single ISO date posted under the field's own name
(``birth_date=1942-03-08``) is read too.

    from portal.fields import DateOfBirthField

Ids posted for a form's choices of records (the children ticked, the weeks): Django looks them up with
``pk__in`` unchecked, and one too big for an id column (bigint) crashes the query on SQLite
(OverflowError: a 500 from a hand-made POST). :class:`IdsChoiceField` takes such an id for what it is, not
one of the choices, with the field's own translated error.

    from portal.fields import ID_MAX, IdsChoiceField
"""

from __future__ import annotations

import calendar
import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.forms.renderers import get_default_renderer
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

#: Ids beyond this do not fit a database id column (bigint): no record has them.
ID_MAX = 2**63 - 1

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


# --- dates of birth -----------------------------------------------------------------------------

#: Full-width digits (a Chinese input method may type them) read as ASCII digits.
_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


class DateOfBirthWidget(forms.MultiWidget):
    """Three boxes for a date of birth: year, month, day (see the module's docstring).

    The template (templates/community/widgets/date_of_birth.html) labels each box; the field's own
    label points at the year, so the error summary's link lands there."""

    template_name = "community/widgets/date_of_birth.html"
    use_fieldset = False

    def __init__(self, attrs=None):
        def box(size, maxlength, autocomplete, css):
            return forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": autocomplete,
                    "size": size,
                    "maxlength": maxlength,
                    "class": f"form-control w-auto {css}",
                }
            )

        widgets = {
            "year": box(4, 4, "bday-year", "dob-year"),
            "month": box(2, 2, "bday-month", "dob-month"),
            "day": box(2, 2, "bday-day", "dob-day"),
        }
        super().__init__(widgets, attrs)

    def decompress(self, value):
        if isinstance(value, datetime.date):
            return [str(value.year), str(value.month), str(value.day)]
        if isinstance(value, str) and (match := _ISO_DATE.match(value)):
            return [str(int(part)) for part in match.groups()]
        return [None, None, None]

    def value_from_datadict(self, data, files, name):
        parts = super().value_from_datadict(data, files, name)
        if not any(parts) and data.get(name):
            return self.decompress(str(data.get(name)))  # one ISO date under the field's own name
        return parts

    def value_omitted_from_data(self, data, files, name):
        return name not in data and super().value_omitted_from_data(data, files, name)

    def id_for_label(self, id_):
        return f"{id_}_0" if id_ else ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        renderer = get_default_renderer()
        labels = [
            pgettext_lazy("part of a date", "Year"),
            pgettext_lazy("part of a date", "Month"),
            pgettext_lazy("part of a date", "Day"),
        ]
        # Marked invalid as a whole, so that Bootstrap shows the field's error after the three boxes.
        context["widget"]["invalid"] = (attrs or {}).get("aria-invalid") == "true"
        context["widget"]["parts"] = [
            (
                sub["attrs"].get("id", ""),
                # Django's own widget template, which escapes the value: safe to insert as it is.
                mark_safe(renderer.render(sub["template_name"], {"widget": sub})),  # noqa: S308
                label,
            )
            for sub, label in zip(context["widget"]["subwidgets"], labels, strict=True)
        ]
        return context

    def _render(self, template_name, context, renderer=None):
        # The project's templates (the form renderer only looks in Django's and the apps' own).
        return render_to_string(template_name, context)


class DateOfBirthField(forms.Field):
    """A date of birth typed as year, month and day, with an error naming the part to fix, within the
    portal's bounds (``MIN_DATE``..``MAX_DATE``) and not after today."""

    widget = DateOfBirthWidget
    default_validators = [validate_date_in_range]
    default_error_messages = {
        "required": _("Enter the date of birth, for example 1942, 3, 8."),
        "year": _("Enter the year of birth in four digits, for example 1942."),
        "month": _("Enter the month of birth as a number from 1 to 12, for example 3."),
        "day": _("Enter the day of birth as a number, for example 8."),
        "no_such_day": _("Month %(month)s has no day %(day)s."),
        "future": _("The date of birth cannot be in the future."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", _("For example: 1942, 3, 8 (year, month, day)."))
        super().__init__(**kwargs)

    @staticmethod
    def _number(text) -> int | None:
        text = str(text or "").translate(_FULL_WIDTH_DIGITS).strip()
        return int(text) if text.isascii() and text.isdigit() and len(text) <= 4 else None

    def to_python(self, value):
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, str):
            value = DateOfBirthWidget().decompress(value)
        parts = list(value or [])[:3] + [None] * (3 - len(list(value or [])[:3]))
        if not any(str(p or "").strip() for p in parts):
            return None
        year, month, day = (self._number(p) for p in parts)
        if year is None or not 1000 <= year <= 9999:
            raise ValidationError(self.error_messages["year"], code="year")
        if month is None or not 1 <= month <= 12:
            raise ValidationError(self.error_messages["month"], code="month")
        if day is None or day < 1:
            raise ValidationError(self.error_messages["day"], code="day")
        if day > calendar.monthrange(year, month)[1]:
            raise ValidationError(
                self.error_messages["no_such_day"], code="no_such_day", params={"month": month, "day": day}
            )
        return datetime.date(year, month, day)

    def validate(self, value):
        super().validate(value)
        from django.utils import timezone

        if value and value > timezone.localdate():
            raise ValidationError(self.error_messages["future"], code="future")


class IdsChoiceField(forms.ModelMultipleChoiceField):
    """A ``ModelMultipleChoiceField`` for which an id too big for an id column is not one of the choices
    (the field's "not one of the available choices" error) instead of a query that fails."""

    def _check_values(self, value):
        for pk in value:
            try:
                out_of_range = abs(int(str(pk))) > ID_MAX
            except (ValueError, TypeError):
                continue  # Django's own check says "not a valid value"
            if out_of_range:
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": str(pk)[:20]},
                )
        return super()._check_values(value)
