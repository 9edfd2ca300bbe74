"""Forms of the health station: a clinic visit's readings, closing a follow-up, editing a threshold.

The readings form reads what a nurse types on a tablet (``elders.readings``: full-width digits and "／"
accepted, impossible values refused at the field with the reason) and hands the service a list of
``ReadingInput``; the service's refusals come back onto the form with ``apply_service_errors``.
"""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Div, Field, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.community.forms import apply_service_errors  # noqa: F401  (re-exported for the views)
from portal.fields import BoundedDateTimeField

from .. import readings as parse
from ..models import NOTE_MAX, FlagLevel, GlucoseTiming, ReadingKind, Threshold
from ..services.health import READING_NOTE_MAX, THRESHOLD_LIMIT_MAX, ReadingInput


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


def _text(label, help_text, *, inputmode: str, placeholder: str = ""):
    return forms.CharField(
        label=label,
        required=False,
        help_text=help_text,
        # No max_length: a long paste is read and refused with the field's own message.
        widget=forms.TextInput(
            attrs={"inputmode": inputmode, "autocomplete": "off", "placeholder": placeholder, "size": 10}
        ),
    )


class ReadingsForm(forms.Form):
    """One visit's readings: any of blood pressure, glucose (with when it was taken), heart rate, weight."""

    blood_pressure = _text(
        _("Blood pressure (mmHg)"),
        _("Systolic/diastolic, e.g. 120/80."),
        inputmode="text",
        placeholder="120/80",
    )
    glucose = _text(_("Blood glucose (mmol/L)"), _("e.g. 6.1"), inputmode="decimal", placeholder="6.1")
    glucose_timing = forms.ChoiceField(
        label=_("Glucose taken"),
        choices=GlucoseTiming.choices,
        required=False,
        widget=forms.RadioSelect,
    )
    heart_rate = _text(_("Heart rate (beats/min)"), _("e.g. 72"), inputmode="numeric", placeholder="72")
    weight = _text(_("Weight (kg)"), _("e.g. 58.5"), inputmode="decimal", placeholder="58.5")
    taken_at = BoundedDateTimeField(
        label=_("Taken at"),
        required=False,
        widget=DateTimeLocalInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        help_text=_("Leave as it is for now."),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=READING_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("At most 300 characters, e.g. “took her medicine this morning”."),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault(
            "taken_at", timezone.localtime().replace(second=0, microsecond=0)
        )
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Div(
                Div(Field("blood_pressure", css_class="form-control-lg"), css_class="col-md-6"),
                Div(Field("heart_rate", css_class="form-control-lg"), css_class="col-md-6"),
                css_class="row",
            ),
            Div(
                Div(Field("glucose", css_class="form-control-lg"), css_class="col-md-6"),
                Div("glucose_timing", css_class="col-md-6"),
                css_class="row",
            ),
            Div(
                Div(Field("weight", css_class="form-control-lg"), css_class="col-md-6"),
                Div("taken_at", css_class="col-md-6"),
                css_class="row",
            ),
            "note",
            Submit("record", _("Record the readings"), css_class="btn-brand btn-lg"),
        )

    def _parsed(self, name, **kwargs):
        text = self.cleaned_data.get(name) or ""
        if not parse.normalise(text):
            return None
        return parse.parse_number(text, **kwargs)

    def clean_blood_pressure(self):
        text = self.cleaned_data.get("blood_pressure") or ""
        return parse.parse_blood_pressure(text) if parse.normalise(text) else None

    def clean_glucose(self):
        return self._parsed("glucose", what=_("Blood glucose"), valid=parse.GLUCOSE)

    def clean_heart_rate(self):
        return self._parsed("heart_rate", what=_("Heart rate"), valid=parse.HEART_RATE, decimals=False)

    def clean_weight(self):
        return self._parsed("weight", what=_("Weight"), valid=parse.WEIGHT)

    def clean_taken_at(self):
        value = self.cleaned_data.get("taken_at")
        if value is not None and value > timezone.now() + datetime.timedelta(minutes=5):
            raise ValidationError(_("A reading cannot be taken in the future."), code="future")
        return value

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        readings: list[ReadingInput] = []
        bp = data.get("blood_pressure")
        if bp:
            readings.append(ReadingInput(ReadingKind.BLOOD_PRESSURE, bp[0], bp[1]))
        glucose = data.get("glucose")
        if glucose is not None:
            if not data.get("glucose_timing"):
                self.add_error(
                    "glucose_timing", _("Say when the glucose was taken: fasting, after a meal, or random.")
                )
                return data
            readings.append(ReadingInput(ReadingKind.GLUCOSE, glucose, glucose_timing=data["glucose_timing"]))
        if data.get("heart_rate") is not None:
            readings.append(ReadingInput(ReadingKind.HEART_RATE, data["heart_rate"]))
        if data.get("weight") is not None:
            readings.append(ReadingInput(ReadingKind.WEIGHT, data["weight"]))
        if not readings:
            raise ValidationError(
                _("Enter at least one reading: blood pressure, glucose, heart rate or weight."), code="empty"
            )
        data["readings"] = readings
        return data


class WalkInSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find an elder who came without booking"),
        max_length=50,
        required=False,
        help_text=_("Her name, its pinyin (wangxiu) or initials (wx)."),
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )


class FollowUpCloseForm(forms.Form):
    outcome = forms.CharField(
        label=_("What was done"),
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Say what was done, e.g. “phoned her daughter; BP rechecked at home 135/85”.")
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "outcome", Submit("close", _("Close the follow-up"), css_class="btn-brand btn-lg")
        )


class ThresholdForm(forms.Form):
    limit = forms.DecimalField(
        label=_("Limit"),
        max_digits=4,
        decimal_places=1,
        min_value=0.1,
        max_value=THRESHOLD_LIMIT_MAX,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    level = forms.ChoiceField(
        label=_("Level"),
        choices=[(FlagLevel.ABNORMAL, FlagLevel.ABNORMAL.label), (FlagLevel.URGENT, FlagLevel.URGENT.label)],
        widget=forms.RadioSelect,
    )
    label = forms.CharField(label=_("Label"), max_length=100)
    source = forms.CharField(label=_("Source"), max_length=300, widget=forms.Textarea(attrs={"rows": 2}))
    is_active = forms.BooleanField(label=_("In use"), required=False)

    def __init__(self, *args, threshold: Threshold, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "limit": threshold.limit,
                "level": threshold.level,
                "label": threshold.label,
                "source": threshold.source,
                "is_active": threshold.is_active,
            },
        )
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            "limit",
            "level",
            "label",
            "source",
            "is_active",
            Submit("save", _("Save the threshold"), css_class="btn-brand btn-lg"),
        )

    def clean_limit(self):
        value = self.cleaned_data["limit"]
        if value is not None and (value.is_nan() or value.is_infinite()):
            raise ValidationError(_("Enter a number."), code="invalid")
        return value
