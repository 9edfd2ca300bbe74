"""Forms of the holiday calendar pages: a year's notice, and one holiday as the notice reads it (first and
last day off, the make-up working days). The rules live in ``portal.holidays.services``; their refusals
are put next to the field they concern (``ServiceErrorsMixin``)."""

from __future__ import annotations

import datetime
import re

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.community.forms import apply_service_errors

from .models import Festival
from .services import FIRST_YEAR, LAST_YEAR, HolidayArrangement

#: The holidays of an ordinary notice, in its order (一、元旦 … 七、国庆节、中秋节).
NOTICE_FESTIVALS = [
    Festival.NEW_YEAR,
    Festival.SPRING,
    Festival.TOMB_SWEEPING,
    Festival.LABOUR,
    Festival.DRAGON_BOAT,
    Festival.MID_AUTUMN,
    Festival.NATIONAL,
]


class ServiceErrorsMixin:
    def apply_service_errors(self, exc: ValidationError) -> None:
        apply_service_errors(self, exc)


_SEPARATORS = re.compile(r"[\s,，、;；]+")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CHINESE = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(\d{1,2})日?(?:[（(].*?[)）])?$")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class DateListField(forms.CharField):
    """Make-up working days typed as the notice gives them: ``2027-02-20, 2027-02-28`` or
    ``2月20日（周六）、2月28日（周日）``. Cleans to a tuple of dates (of ``year`` when none is written)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)
        self.year: int | None = None

    def clean(self, value):
        text = super().clean(value)
        text = re.sub(r"[（(][^)）]*[)）]", " ", text)  # "（周六）"
        out = []
        for part in filter(None, _SEPARATORS.split(text)):
            match = _ISO.match(part) or _CHINESE.match(part)
            if not match:
                raise ValidationError(
                    _("“%(value)s” is not a date: write 2027-02-20 or 2月20日."), params={"value": part}
                )
            year, month, day = match.groups()
            if year is None and self.year is None:
                raise ValidationError(_("Enter the year first, or write the dates in full (2027-02-20)."))
            try:
                out.append(datetime.date(int(year or self.year), int(month), int(day)))
            except ValueError:
                raise ValidationError(_("“%(value)s” is not a date."), params={"value": part}) from None
        return tuple(dict.fromkeys(out))


class CalendarYearForm(ServiceErrorsMixin, forms.Form):
    year = forms.IntegerField(
        label=pgettext_lazy("holiday calendar", "Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR
    )
    notice = forms.CharField(
        label=_("Official notice"),
        required=False,
        max_length=200,
        help_text=_("For example: 国务院办公厅关于2027年部分节假日安排的通知"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False


class HolidayForm(ServiceErrorsMixin, forms.Form):
    """One holiday: "1月1日至3日放假，共3天。1月4日（周日）上班。" Left empty on the year page, the holiday is
    not part of the notice."""

    first = forms.DateField(label=_("First day off"), required=False, widget=DateInput())
    last = forms.DateField(
        label=_("Last day off"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for a single day off."),
    )
    workdays = DateListField(
        label=_("Make-up working days"),
        help_text=_(
            "Weekend days worked for this holiday, for example 2月20日、2月28日. Leave empty when none."
        ),
    )

    def __init__(self, *args, festival: str, year: int | None = None, required: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.festival = festival
        self.festival_name = Festival(festival).label
        self.fields["workdays"].year = year
        self.fields["first"].required = required
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    @property
    def is_empty(self) -> bool:
        data = self.cleaned_data
        return not (data.get("first") or data.get("last") or data.get("workdays"))

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if last and not first and "first" not in self.errors:
            self.add_error("first", _("Enter the first day off."))
        if data.get("workdays") and not first and not last and "first" not in self.errors:
            self.add_error("first", _("Enter the days off of this holiday before its make-up working days."))
        return data

    def arrangement(self) -> HolidayArrangement:
        data = self.cleaned_data
        return HolidayArrangement(
            first=data["first"], last=data.get("last") or data["first"], workdays=data.get("workdays") or ()
        )


def year_from(data) -> int | None:
    """The year typed in a posted year form, for reading "2月20日" (None when it is not a number)."""
    try:
        year = int(str(data.get("year", "")).strip())
    except (TypeError, ValueError):
        return None
    return year if FIRST_YEAR <= year <= LAST_YEAR else None
