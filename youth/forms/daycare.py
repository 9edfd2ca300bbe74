"""The holiday day-care (暑托班): programmes of weeks, booking a week or the whole programme for siblings in one go.

The forms shape what was typed; the rules live in ``youth.services.daycare`` (and the engine beneath it),
whose refusals ``apply_service_errors`` puts next to the field and in the error summary.
"""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.forms_activity import DateTimeLocalInput, TimeInput
from events.models import AllocationMode, TargetGroup
from portal.community.forms import apply_service_errors
from portal.community.models import Organization
from portal.fields import BoundedDateField, BoundedDateTimeField, IdsChoiceField
from youth.services.daycare import AGE_MAX, CAPACITY_MAX, TITLE_MAX


class _ServiceErrors:
    def apply_service_errors(self, exc) -> None:
        apply_service_errors(self, exc)


class DaycareProgrammeForm(_ServiceErrors, forms.Form):
    """Staff create a programme (every field) or change one (``editing``: title, description, place, dates
    and daily times; the booking rules are the weeks' activities' and stay as they are)."""

    title = forms.CharField(
        label=pgettext_lazy("name of an activity", "Title"),
        max_length=TITLE_MAX,
        help_text=_("For example: 2027 summer day-care"),
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    place = forms.CharField(label=pgettext_lazy("venue of an activity", "Place"), max_length=200)
    organiser_org = forms.ModelChoiceField(
        label=_("Organising partner"),
        queryset=Organization.objects.none(),
        required=False,
        empty_label=_("The community itself"),
    )
    starts_on = BoundedDateField(label=_("First day"))
    ends_on = BoundedDateField(label=_("Last day"))
    day_starts = forms.TimeField(label=_("Drop-off from"), widget=TimeInput)
    day_ends = forms.TimeField(label=_("Pickup by"), widget=TimeInput)
    min_age = forms.IntegerField(label=_("Minimum age"), required=False, min_value=0, max_value=AGE_MAX)
    max_age = forms.IntegerField(label=_("Maximum age"), required=False, min_value=0, max_value=AGE_MAX)
    capacity = forms.IntegerField(
        label=_("Places a day"), min_value=1, max_value=CAPACITY_MAX, help_text=_("The same for every week.")
    )
    allocation = forms.ChoiceField(
        label=_("How places are given"), choices=AllocationMode.choices, initial=AllocationMode.FCFS
    )
    waitlist = forms.BooleanField(label=_("Waitlist when a week is full"), required=False, initial=True)
    booking_opens_at = BoundedDateTimeField(label=_("Booking opens"), widget=DateTimeLocalInput)
    booking_closes_at = BoundedDateTimeField(label=_("Booking closes"), widget=DateTimeLocalInput)
    early_opens_at = BoundedDateTimeField(
        label=_("Early booking opens"),
        required=False,
        widget=DateTimeLocalInput,
        help_text=_(
            "For priority families (e.g. both parents working) before everyone else; leave empty for none."
        ),
    )
    early_group = forms.ModelChoiceField(
        label=_("Priority families"),
        queryset=TargetGroup.objects.order_by("name"),
        required=False,
        empty_label=_("None"),
    )

    EDIT_FIELDS = ("title", "description", "place", "starts_on", "ends_on", "day_starts", "day_ends")

    def __init__(self, *args, actor, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            for name in list(self.fields):
                if name not in self.EDIT_FIELDS:
                    del self.fields[name]
        else:
            orgs = Organization.objects.filter(is_active=True).order_by("name")
            if actor.is_partner_staff:
                orgs = orgs.filter(pk=actor.organization_id)
                self.fields["organiser_org"].empty_label = None
                self.fields["organiser_org"].required = True
            self.fields["organiser_org"].queryset = orgs
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.attrs = {"novalidate": ""}
        if editing:
            self.helper.layout = Layout(*self.EDIT_FIELDS)
        else:
            self.helper.layout = Layout(
                Fieldset(_("The day-care"), "title", "description", "place", "organiser_org"),
                Fieldset(_("Days and times"), "starts_on", "ends_on", "day_starts", "day_ends"),
                Fieldset(
                    pgettext_lazy("day-care form section", "Children"), "min_age", "max_age", "capacity"
                ),
                Fieldset(
                    pgettext_lazy("form section", "Booking"),
                    "allocation",
                    "waitlist",
                    "booking_opens_at",
                    "booking_closes_at",
                    "early_opens_at",
                    "early_group",
                ),
            )
        self.helper.add_input(
            Submit(
                "submit",
                _("Save the changes") if editing else _("Create the day-care"),
                css_class="btn-brand",
            )
        )


class WeeksField(IdsChoiceField):
    def label_from_instance(self, obj):
        from youth.services.daycare import week_label

        return week_label(obj)


class ChildrenField(IdsChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class DaycareBookingForm(_ServiceErrors, forms.Form):
    """Tick the weeks (or the whole programme) and the children: one booking for all of them."""

    whole = forms.BooleanField(label=_("The whole programme (every week)"), required=False)
    weeks = WeeksField(
        label=pgettext_lazy("day-care", "Weeks"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("Choose weeks of this day-care."),
            "invalid_pk_value": _("Choose weeks of this day-care."),
        },
    )
    children = ChildrenField(
        label=pgettext_lazy("day-care booking", "Children"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one child to book for."),
            "invalid_choice": _("You can only book for your own children."),
            "invalid_pk_value": _("You can only book for your own children."),
        },
    )

    def __init__(self, *args, programme, weeks, children, submit_label, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weeks"].queryset = weeks
        self.fields["children"].queryset = children
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.attrs = {"novalidate": "", "id": "booking-form"}
        self.helper.layout = Layout("whole", "weeks", "children")
        self.helper.add_input(Submit("submit", submit_label, css_class="btn-brand btn-lg"))

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        if data.get("whole"):
            data["weeks"] = list(self.fields["weeks"].queryset)
        if not data.get("weeks"):
            self.add_error("weeks", _("Choose at least one week, or the whole programme."))
        return data
