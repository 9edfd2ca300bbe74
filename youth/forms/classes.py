"""The staff form of a new holiday class or parenting lecture (``youth:class_new``) and the attendance
tick. The form shapes what staff typed, with the engine's own widgets and bounded fields; the rules live in
``youth.services.classes`` and ``events.services.activities``, whose refusals land next to the field."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.forms_activity import DateTimeLocalInput, TimeInput
from events.forms_staff import ServiceErrorsMixin
from events.models import ActivityStatus
from events.services.activities import CAPACITY_MAX
from portal.community.models import Organization
from portal.fields import ID_MAX, BoundedDateField, BoundedDateTimeField

from ..models import Audience, ProgrammeKind, Subject
from ..services.classes import MEETINGS_MAX, PARTNER_KINDS, SPEAKER_MAX

WEEKDAYS = (
    (0, pgettext_lazy("weekday", "Monday")),
    (1, pgettext_lazy("weekday", "Tuesday")),
    (2, pgettext_lazy("weekday", "Wednesday")),
    (3, pgettext_lazy("weekday", "Thursday")),
    (4, pgettext_lazy("weekday", "Friday")),
    (5, pgettext_lazy("weekday", "Saturday")),
    (6, pgettext_lazy("weekday", "Sunday")),
)
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class YouthActivityForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(label=_("What is it?"), choices=ProgrammeKind.choices, widget=forms.RadioSelect)
    title = forms.CharField(
        label=_("Title"), max_length=200, error_messages={"required": _("Give the activity a title.")}
    )
    description = forms.CharField(
        label=_("Description"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    place = forms.CharField(
        label=pgettext_lazy("venue", "Place"),
        max_length=200,
        error_messages={"required": _("Say where the activity takes place.")},
    )
    audience = forms.ChoiceField(
        label=_("Who is it for?"), choices=Audience.choices, widget=forms.RadioSelect
    )
    subject = forms.ChoiceField(label=_("Subject"), choices=[("", "—"), *Subject.choices], required=False)
    speaker = forms.CharField(label=_("Speaker or teacher"), max_length=SPEAKER_MAX, required=False)
    partner = forms.ModelChoiceField(
        label=_("Run with"),
        queryset=Organization.objects.none(),
        required=False,
        help_text=_("The school or volunteer group running it with the community."),
    )
    min_age = forms.IntegerField(label=_("Youngest age"), required=False, min_value=0, max_value=17)
    max_age = forms.IntegerField(label=_("Oldest age"), required=False, min_value=0, max_value=17)
    capacity = forms.IntegerField(
        label=_("Places"),
        min_value=1,
        max_value=CAPACITY_MAX,
        help_text=_(
            "Counted in families for brothers and sisters or a parent and child, in persons otherwise."
        ),
        error_messages={"required": _("Give the number of places.")},
    )
    booking_opens_at = BoundedDateTimeField(
        label=_("Booking opens"), required=False, widget=DateTimeLocalInput, input_formats=DATETIME_FORMATS
    )
    booking_closes_at = BoundedDateTimeField(
        label=_("Booking closes"), required=False, widget=DateTimeLocalInput, input_formats=DATETIME_FORMATS
    )
    first = BoundedDateField(
        label=_("First meeting"), error_messages={"required": _("Give the date of the first meeting.")}
    )
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Meets on"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("For a class; public holidays are skipped. A lecture is one session."),
    )
    count = forms.IntegerField(
        label=_("Number of meetings"), min_value=1, max_value=MEETINGS_MAX, initial=1, required=False
    )
    start_time = forms.TimeField(
        label=_("Starts at"), widget=TimeInput, error_messages={"required": _("Give the time it starts.")}
    )
    end_time = forms.TimeField(
        label=_("Ends at"), widget=TimeInput, error_messages={"required": _("Give the time it ends.")}
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(s.value, s.label) for s in (ActivityStatus.DRAFT, ActivityStatus.PUBLISHED)],
        initial=ActivityStatus.PUBLISHED,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        partners = Organization.objects.filter(is_active=True, kind__in=PARTNER_KINDS).order_by("name")
        if not actor.is_community_staff and actor.organization_id:
            partners = partners.filter(pk=actor.organization_id)
        self.fields["partner"].queryset = partners
        self.initial.setdefault("kind", ProgrammeKind.CLASS)
        self.initial.setdefault("audience", Audience.CHILDREN)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.layout = Layout(
            Fieldset(
                _("The class or lecture"),
                "kind",
                "title",
                "description",
                "place",
                "subject",
                "speaker",
                "partner",
            ),
            Fieldset(_("Who may take part"), "audience", "min_age", "max_age", "capacity"),
            Fieldset(_("When"), "first", "weekdays", "count", "start_time", "end_time"),
            Fieldset(_("Booking"), "booking_opens_at", "booking_closes_at", "status"),
        )
        self.helper.add_input(Submit("save", _("Create"), css_class="btn-brand btn-lg"))

    def clean(self):
        data = super().clean()
        if data.get("kind") == ProgrammeKind.LECTURE:
            # A lecture is for parents and guardians, whatever was left ticked for a class.
            data["audience"] = Audience.GUARDIANS
            self.errors.pop("audience", None)
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "kind": d["kind"],
            "audience": d["audience"],
            "subject": d.get("subject") or "",
            "speaker": d.get("speaker") or "",
            "partner": d.get("partner"),
            "first": d.get("first"),
            "weekdays": d.get("weekdays") or [],
            "count": d.get("count") or 1,
            "start_time": d.get("start_time"),
            "end_time": d.get("end_time"),
            "data": {
                "title": d["title"],
                "description": d.get("description") or "",
                "place": d["place"],
                "status": d["status"],
                "min_age": d.get("min_age"),
                "max_age": d.get("max_age"),
                "capacity": d["capacity"],
                "booking_opens_at": d.get("booking_opens_at"),
                "booking_closes_at": d.get("booking_closes_at"),
            },
        }


class AttendanceForm(forms.Form):
    """One tick: the registration of someone booked (``registration``), or a walk-in (``person``)."""

    registration = forms.IntegerField(min_value=1, max_value=ID_MAX, required=False)
    person = forms.IntegerField(min_value=1, max_value=ID_MAX, required=False)


class WalkInSearchForm(forms.Form):
    """Find a child (or her parent) who came without booking: the platform's person search."""

    q = forms.CharField(
        label=_("Came without booking? Find her by name or the last 4 digits of the phone"),
        max_length=100,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("search", _("Search"), css_class="btn-outline-primary"))
