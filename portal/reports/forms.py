"""The dashboard's period and grid filter."""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.community.models import Grid
from portal.fields import BoundedDateField

#: The longest period one dashboard covers (a ledger year and a bit).
MAX_DAYS = 400


def this_month(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    first = today.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


class PeriodForm(forms.Form):
    """From / to (both included; this month when empty) and, for community staff, a grid.

    A grid worker has no choice: her grid is fixed by the view (``fixed_grid``)."""

    start = BoundedDateField(label=_("From"), required=False)
    end = BoundedDateField(label=_("To"), required=False)
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=Grid.objects.order_by("pk"), required=False, empty_label=_("All grids")
    )

    def __init__(self, *args, fixed_grid: Grid | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_grid = fixed_grid
        if fixed_grid is not None:
            del self.fields["grid"]
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "period-form"
        columns = [
            Column("start", css_class="col-sm-6 col-lg-3"),
            Column("end", css_class="col-sm-6 col-lg-3"),
        ]
        if fixed_grid is None:
            columns.append(Column("grid", css_class="col-sm-6 col-lg-3"))
        self.helper.layout = Layout(Row(*columns))
        self.helper.add_input(Submit("show", _("Show the figures"), css_class="btn-brand"))

    def clean(self):
        data = super().clean()
        default_start, default_end = this_month()
        start = data.get("start") or (None if "start" in self.errors else default_start)
        end = data.get("end") or (None if "end" in self.errors else default_end)
        if start and end:
            if start > end:
                self.add_error("end", _("The end of the period cannot come before its start."))
            elif (end - start).days > MAX_DAYS:
                self.add_error("end", _("Choose a period of at most %(days)d days.") % {"days": MAX_DAYS})
        data["start"], data["end"] = start, end
        return data

    @property
    def period(self) -> tuple[datetime.date, datetime.date, Grid | None]:
        """The chosen period and grid (call after ``is_valid()`` returned True)."""
        grid = self.fixed_grid if self.fixed_grid is not None else self.cleaned_data.get("grid")
        return self.cleaned_data["start"], self.cleaned_data["end"], grid
