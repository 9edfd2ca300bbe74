"""Forms of the partners piece. Each reads and shapes what was typed; the rules live in
``elders.services.partners``, whose refusals ``apply_service_errors`` puts next to the field."""

from __future__ import annotations

import datetime
import re

from crispy_forms.helper import FormHelper
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from elders.models import NOTE_MAX, PlanPeriod, Service
from elders.services.partners import TIMES_MAX, new_round_key, partner_organizations
from portal.community.models import Organization
from portal.fields import BoundedDateField

_ROUND_KEY = re.compile(r"^[0-9a-f]{32}$")
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError next to the fields it names (the rest above the form)."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _helper() -> FormHelper:
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    return helper


class RoundKeyField(forms.CharField):
    """The hidden one-time key of a round: an odd value (an old or tampered form) is no error anyone could
    fix; it cleans to a fresh key instead (that submission then logs as a new round)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)
        self.validators = []

    def clean(self, value) -> str:
        key = self.to_python(value)
        return key if _ROUND_KEY.match(key) else new_round_key()


class TimeTodayField(forms.TimeField):
    """A time of day ("14:30"); empty means now."""

    widget = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

    def to_python(self, value):
        if isinstance(value, str) and len(value) > 16:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


def when_today(time: datetime.time | None) -> datetime.datetime:
    now = timezone.localtime()
    if time is None:
        return now
    return now.replace(hour=time.hour, minute=time.minute, second=0, microsecond=0)


# --- the catalogue -------------------------------------------------------------------------------------


class ServiceForm(forms.Form):
    name = forms.CharField(label=_("Service name"), max_length=50)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=300, widget=forms.Textarea(attrs={"rows": 3})
    )
    order = forms.IntegerField(
        label=_("Position in the list"),
        min_value=0,
        max_value=32767,
        initial=100,
        help_text=_("Lower numbers come first."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].error_messages["required"] = _("Give the service a name.")
        self.helper = _helper()


# --- plans -----------------------------------------------------------------------------------------------


class PlanForm(forms.Form):
    service = forms.ModelChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        empty_label=_("Choose a service"),
        error_messages={
            "invalid_choice": _("This service is not in the catalogue. Choose one from the list.")
        },
    )
    organization = forms.ModelChoiceField(
        label=_("Provided by"),
        queryset=Organization.objects.none(),
        empty_label=_("Choose an organisation"),
        error_messages={
            "invalid_choice": _("Choose a partner organisation that provides services to elders."),
        },
    )
    times = forms.IntegerField(label=_("How many times"), min_value=1, max_value=TIMES_MAX, initial=1)
    period = forms.ChoiceField(label=_("Per"), choices=PlanPeriod.choices, initial=PlanPeriod.WEEK)
    starts_on = BoundedDateField(label=_("From"))
    ends_on = BoundedDateField(label=_("Until"), required=False, help_text=_("Leave it empty if open-ended."))
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: soft food, no stairs, ring twice."),
    )

    def __init__(self, *args, plan=None, **kwargs):
        super().__init__(*args, **kwargs)
        services = Service.objects.filter(is_active=True)
        orgs = partner_organizations()
        if plan is not None:
            # A plan keeps its own service and organisation on the list even if no longer offered.
            services = services | Service.objects.filter(pk=plan.service_id)
            orgs = orgs | Organization.objects.filter(pk=plan.organization_id)
        self.fields["service"].queryset = services.distinct().order_by("order", "name")
        self.fields["organization"].queryset = orgs.distinct().order_by("name")
        self.fields["service"].error_messages["required"] = _("Choose a service.")
        self.fields["organization"].error_messages["required"] = _(
            "Choose the organisation that provides it."
        )
        self.fields["starts_on"].error_messages["required"] = _("Say from when the plan runs.")
        self.fields["notes"].error_messages["max_length"] = _(
            "Keep the notes under %(limit_value)d characters."
        )
        self.fields["times"].error_messages["required"] = _("Say how many times.")
        if not self.is_bound and plan is None:
            self.initial.setdefault("starts_on", timezone.localdate())
        self.helper = _helper()

    def service_data(self) -> dict:
        data = self.cleaned_data
        return {
            "service": data["service"],
            "organization": data["organization"],
            "times": data["times"],
            "period": data["period"],
            "starts_on": data["starts_on"],
            "ends_on": data.get("ends_on"),
            "notes": data.get("notes") or "",
        }


class PlanEndForm(forms.Form):
    ends_on = BoundedDateField(label=_("Last day of the plan"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].error_messages["required"] = _("Say on which day the plan ends.")
        if not self.is_bound:
            self.initial.setdefault("ends_on", timezone.localdate())
        self.helper = _helper()


class PlansFilterForm(forms.Form):
    """The plans list's filter (GET): organisation, service, state. A bad value is ignored (all shown)."""

    organization = forms.ModelChoiceField(
        label=_("Organisation"), queryset=Organization.objects.none(), required=False, empty_label=_("All")
    )
    service = forms.ModelChoiceField(
        label=_("Service"), queryset=Service.objects.none(), required=False, empty_label=_("All")
    )
    state = forms.ChoiceField(
        label=_("Which plans"),
        required=False,
        choices=(
            ("", _("All")),
            ("running", _("Running today")),
            ("ended", _("Ended")),
            ("flagged", _("Missed deliveries")),
        ),
    )

    def __init__(self, *args, viewer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = Service.objects.order_by("order", "name")
        if viewer.is_partner_staff:
            del self.fields["organization"]
        else:
            self.fields["organization"].queryset = (
                Organization.objects.filter(service_plans__isnull=False).distinct().order_by("name")
            )

    def chosen(self) -> dict:
        if not self.is_valid():
            return {"organization": None, "service": None, "state": ""}
        data = self.cleaned_data
        return {
            "organization": data.get("organization"),
            "service": data.get("service"),
            "state": data.get("state") or "",
        }


# --- deliveries ------------------------------------------------------------------------------------------


class _DeliveryFields(forms.Form):
    time = TimeTodayField(
        label=_("Time delivered (today)"), required=False, help_text=_("Leave it empty for now.")
    )
    what = forms.CharField(
        label=_("What was delivered"),
        required=False,
        max_length=200,
        help_text=_("For example: lunch, two dishes and soup."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Anything the community should know: she was not at home, she felt unwell..."),
    )
    round_key = RoundKeyField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notes"].error_messages["max_length"] = _(
            "Keep the notes under %(limit_value)d characters."
        )
        self.fields["what"].error_messages["max_length"] = _("Keep it under %(limit_value)d characters.")
        self.fields["time"].error_messages["invalid"] = _("Enter a time such as 11:30.")
        if not self.is_bound:
            self.initial["round_key"] = new_round_key()
        self.helper = _helper()

    def clean_time(self):
        time = self.cleaned_data.get("time")
        if time is not None and when_today(time) > timezone.localtime() + datetime.timedelta(minutes=5):
            raise ValidationError(_("Choose a time today, no later than now."), code="future")
        return time

    def when(self) -> datetime.datetime:
        return when_today(self.cleaned_data.get("time"))


class _PlanChoiceBoundField(forms.BoundField):
    """Each checkbox of a refused round points at the list's error (aria-describedby)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors and self.auto_id:
            described = attrs.get("aria-describedby", "").split()
            attrs["aria-describedby"] = " ".join([*described, f"{self.auto_id}_error"])
        return attrs


class PlanIdsField(forms.Field):
    """The ticked plans of a round, as ids. Whether each one may be logged is the service's decision (it
    refuses the whole round otherwise); here only the shape is checked."""

    widget = forms.MultipleHiddenInput

    def get_bound_field(self, form, field_name):
        return _PlanChoiceBoundField(form, self, field_name)

    def to_python(self, value):
        values = value if isinstance(value, list | tuple) else ([value] if value else [])
        out = []
        for v in values:
            v = str(v).strip()
            if not v.isascii() or not v.isdigit() or len(v) > 12:
                raise ValidationError(
                    _(
                        "Some of these elders are not on your organisation's plans for today. Nothing was "
                        "logged: reload the page and try again."
                    ),
                    code="invalid",
                )
            out.append(int(v))
        return out

    def validate(self, value):
        if not value:
            raise ValidationError(_("Tick at least one elder."), code="required")


class RoundForm(_DeliveryFields):
    """The delivery round: tick several elders, one submit logs one delivery each."""

    plans = PlanIdsField(label=_("Elders served on this round"))

    field_order = ["plans", "time", "what", "notes", "round_key"]


class DeliveryForm(_DeliveryFields):
    """One delivery for one elder."""


class LedgerForm(forms.Form):
    """The ledger's month (GET ``month=2026-11``) and download format. A bad month is a field error; the
    current month is shown meanwhile."""

    month = forms.CharField(label=pgettext_lazy("calendar", "Month"), required=False, max_length=7)
    format = forms.ChoiceField(required=False, choices=(("", "HTML"), ("csv", "CSV"), ("xlsx", "Excel")))

    def clean_month(self):
        value = (self.cleaned_data.get("month") or "").strip()
        if not value:
            return None
        match = _MONTH.match(value)
        if not match:
            raise ValidationError(_("Enter a month such as 2026-11."), code="invalid")
        year, month = int(match.group(1)), int(match.group(2))
        if not (1900 <= year <= 2100 and 1 <= month <= 12):
            raise ValidationError(
                _("Enter a month between the years %(min)d and %(max)d.") % {"min": 1900, "max": 2100},
                code="out_of_range",
            )
        return datetime.date(year, month, 1)
