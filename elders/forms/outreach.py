"""Forms of the visit-and-call roster: the contact log (from a phone, with needs raised inline), the contact
plan, a need's update, and the filters of the overdue list and the needs list. Rules live in the services;
``apply_service_errors`` puts their refusals next to the right field."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.community.models import Grid
from portal.fields import BoundedDateTimeField

from ..models import NOTE_MAX, ContactMethod, NeedCategory, NeedStatus, Wellbeing
from ..services.outreach import CLOCK_SLACK, EVERY_DAYS_MAX, NEED_DESCRIPTION_MAX

#: Needs raised on one contact: rows shown at first, and at most.
NEEDS_SHOWN = 1
NEEDS_MAX = 5
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def apply_service_errors(form: forms.Form, exc) -> None:
    """Put a service's ValidationError next to the fields it names (the rest at the top of the form)."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL)


def _helper(*, tag: bool = False, submit: str | None = None, method: str = "post") -> FormHelper:
    helper = FormHelper()
    helper.form_tag = tag
    helper.form_method = method
    if submit:
        helper.add_input(Submit("submit", submit, css_class="btn-brand btn-lg"))
    return helper


class ContactLogForm(forms.Form):
    method = forms.ChoiceField(
        label=_("How"), choices=ContactMethod.choices, widget=forms.RadioSelect, initial=ContactMethod.VISIT
    )
    reached = forms.TypedChoiceField(
        label=_("Did you reach her?"),
        choices=(("yes", _("Yes, I reached her")), ("no", _("No, nobody answered"))),
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    wellbeing = forms.ChoiceField(
        label=_("How is she?"),
        choices=Wellbeing.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text=_("Only when you reached her."),
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("At most %(max)d characters.") % {"max": NOTE_MAX},
    )
    contacted_at = BoundedDateTimeField(
        label=pgettext_lazy("moment", "When"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        widget=DateTimeLocalInput(),
    )

    def __init__(self, *args, staff: bool = False, method: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contacted_at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        if method in ContactMethod.values:
            self.fields["method"].initial = method
        if staff:
            self.fields["on_behalf"] = forms.BooleanField(
                label=_("I am entering this for the person responsible, who told me about it"),
                required=False,
            )
        self.helper = _helper()

    def clean_contacted_at(self):
        value = self.cleaned_data["contacted_at"]
        if value is not None and value > timezone.now() + CLOCK_SLACK:
            raise forms.ValidationError(_("The contact cannot be in the future."), code="future")
        return value

    def clean(self):
        data = super().clean()
        if data.get("reached") is False and data.get("wellbeing"):
            self.add_error("wellbeing", _("Say how she is only when you reached her."))
        return data


class NeedRowForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Kind of need"), choices=[("", _("Choose…")), *NeedCategory.choices], required=False
    )
    description = forms.CharField(label=_("What she needs"), max_length=NEED_DESCRIPTION_MAX, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper()

    def clean(self):
        data = super().clean()
        category, description = data.get("category"), (data.get("description") or "").strip()
        if description and not category:
            self.add_error("category", _("Choose what kind of need it is."))
        if category and not description and "description" not in self.errors:
            self.add_error("description", _("Say what she needs."))
        data["description"] = description
        return data

    @property
    def is_used(self) -> bool:
        return bool(getattr(self, "cleaned_data", None) and self.cleaned_data.get("category"))


NeedFormSet = forms.formset_factory(
    NeedRowForm, extra=NEEDS_SHOWN, max_num=NEEDS_MAX, absolute_max=NEEDS_MAX, validate_max=True
)


class ContactPlanForm(forms.Form):
    follow_risk = forms.BooleanField(
        label=_("Follow her risk level (weekly, monthly or quarterly) and the default person responsible"),
        required=False,
    )
    every_days = forms.IntegerField(
        label=_("Contact every (days)"), min_value=1, max_value=EVERY_DAYS_MAX, required=False
    )
    method = forms.ChoiceField(label=_("Usually by"), choices=ContactMethod.choices, widget=forms.RadioSelect)
    responsible_phone = forms.CharField(
        label=_("Mobile number of the person responsible"),
        max_length=20,
        required=False,
        help_text=_(
            "Any volunteer, party member or grid worker with an account; an elder can help an elder. "
            "Leave empty to keep the person responsible now."
        ),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(submit=_("Save the plan"))

    def clean(self):
        data = super().clean()
        if (
            data.get("follow_risk")
            and data.get("every_days") is not None
            and "every_days" in self.changed_data
        ):
            data["follow_risk"] = False  # a number typed in is meant: the plan is set by hand
        if not data.get("follow_risk") and data.get("every_days") is None and "every_days" not in self.errors:
            self.add_error("every_days", _("Say how often, or let the plan follow her risk level."))
        return data


class NeedUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=NeedStatus.choices, widget=forms.RadioSelect)
    resolution = forms.CharField(
        label=_("What was done"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required to close the need."),
    )

    def __init__(self, *args, may_reassign: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if may_reassign:
            self.fields["owner_phone"] = forms.CharField(
                label=_("Hand it to (mobile number)"),
                max_length=20,
                required=False,
                help_text=_("Leave empty to keep the owner."),
                widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            )
        self.helper = _helper(submit=_("Save"))

    def clean(self):
        data = super().clean()
        if data.get("status") == NeedStatus.CLOSED and not (data.get("resolution") or "").strip():
            self.add_error("resolution", _("Say what was done before closing the need."))
        return data


class OverdueFilterForm(forms.Form):
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=Grid.objects.order_by("name"), required=False, empty_label=_("All grids")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _helper(tag=True, submit=_("Show"), method="get")
        self.helper.layout = Layout("grid")


class NeedsFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[("", _("Not closed")), *NeedStatus.choices, ("all", _("All"))],
        required=False,
    )
    grid = forms.ModelChoiceField(
        label=_("Grid"), queryset=Grid.objects.order_by("name"), required=False, empty_label=_("All grids")
    )

    def __init__(self, *args, staff: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            del self.fields["grid"]
        self.helper = _helper(tag=True, submit=_("Show"), method="get")


__all__ = [
    "ContactLogForm",
    "ContactPlanForm",
    "NeedFormSet",
    "NeedRowForm",
    "NeedUpdateForm",
    "NeedsFilterForm",
    "OverdueFilterForm",
    "apply_service_errors",
]
