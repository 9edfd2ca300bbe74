"""The staff form that creates or changes an activity, its lottery priority tiers (an inline formset) and,
on creation, an optional first session (a one-off event is created with its date in one go).

The form reads and shapes what staff typed; the rules (the window in order, a lottery with a closing
time, a partner organising for her own organisation only...) live in ``events.services.activities``,
whose refusals ``apply_service_errors`` puts next to the field. The model's own validation is not run
here (``_post_clean``): the service checks every rule once, with the words staff read.
"""

from __future__ import annotations

import datetime

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.accounts.models import User
from portal.community.models import Organization
from portal.fields import BoundedDateField, BoundedDateTimeField

from .forms_staff import LeadTimesField, ServiceErrorsMixin
from .models import DEFAULT_REMINDER_LEADS, Activity, ActivityStatus, TargetGroup
from .services.activities import ACTIVITY_FIELDS, CAPACITY_MAX, ORGANISER_ROLES

DATETIME_FIELDS = ("booking_opens_at", "booking_closes_at", "early_opens_at")
#: The first-session block (creation only) and the fields of its session.
FIRST_FIELDS = ("first_date", "first_start", "first_end", "first_place", "first_capacity")
TIERS_PREFIX = "tiers"


class DateTimeLocalInput(forms.DateTimeInput):
    """The browser's date-and-time picker, in the format it sends (local wall-clock time)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%H:%M")


def _organiser_value(user=None, org=None) -> str:
    return f"org:{org.pk}" if org is not None else (f"user:{user.pk}" if user is not None else "")


class ActivityForm(ServiceErrorsMixin, forms.ModelForm):
    organiser = forms.ChoiceField(
        label=_("Organiser"),
        required=False,
        help_text=_("A staff member, or the partner organisation that runs the activity."),
    )
    lead_minutes = LeadTimesField()
    first_date = BoundedDateField(label=pgettext_lazy("calendar day", "Date"), required=False)
    first_start = forms.TimeField(label=_("Starts at"), required=False, widget=TimeInput)
    first_end = forms.TimeField(label=_("Ends at"), required=False, widget=TimeInput)
    first_place = forms.CharField(
        label=pgettext_lazy("venue", "Place, if not the activity's"), required=False, max_length=200
    )
    first_capacity = forms.IntegerField(
        label=_("Places"),
        required=False,
        min_value=1,
        max_value=CAPACITY_MAX,
        help_text=_("For a course, the course's capacity counts; leave it empty."),
    )

    class Meta:
        model = Activity
        fields = ACTIVITY_FIELDS
        field_classes = {name: BoundedDateTimeField for name in DATETIME_FIELDS}
        widgets = {
            **{name: DateTimeLocalInput for name in DATETIME_FIELDS},
            "description": forms.Textarea(attrs={"rows": 4}),
            "allocation": forms.RadioSelect,
            "capacity_unit": forms.RadioSelect,
            "registration_scope": forms.RadioSelect,
            "status": forms.RadioSelect,
        }
        help_texts = {
            "waitlist_enabled": _(
                "When it is full (or for those not drawn), people may join the waitlist and are offered freed places."
            ),
            "max_per_household": _("Leave it empty for no limit."),
            "early_for": _("Optional: who may book before everyone else."),
        }
        labels = {
            "early_for": _("Who may book early"),
            "early_group": _("Target group that may book early"),
        }

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        creating = self.instance.pk is None
        statuses = [ActivityStatus.DRAFT, ActivityStatus.PUBLISHED]
        if not creating and self.instance.status not in statuses:
            statuses.append(self.instance.status)
        self.fields["status"].choices = [(s.value, s.label) for s in statuses]
        groups = TargetGroup.objects.order_by("name")
        for name in ("target_group", "early_group"):
            self.fields[name].queryset = groups
        for name in DATETIME_FIELDS:
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        self.fields["title"].error_messages["required"] = _("Give the activity a title.")
        self.fields["place"].error_messages["required"] = _("Say where the activity takes place.")
        self._set_organiser_choices(creating)
        leads = []
        if not creating:
            for name in FIRST_FIELDS:
                del self.fields[name]
            leads = sorted(self.instance.reminder_rules.values_list("lead_minutes", flat=True), reverse=True)
            self.fields["lead_minutes"].set_extra(tuple(leads))
        self._default_leads = not leads
        self.initial.setdefault("lead_minutes", leads or list(DEFAULT_REMINDER_LEADS))
        self.helper = self._helper(creating)

    def _post_clean(self):
        """No model validation: ``events.services.activities`` checks every rule (see the module)."""

    # --- the organiser -----------------------------------------------------------------------------

    def _set_organiser_choices(self, creating: bool) -> None:
        field, actor, inst = self.fields["organiser"], self.actor, self.instance
        if actor.is_community_staff:
            staff = User.objects.filter(is_active=True).filter(
                Q(role__in=ORGANISER_ROLES) | Q(is_superuser=True)
            )
            people = [(_organiser_value(user=actor), _("Me (%(name)s)") % {"name": actor})]
            people += [
                (_organiser_value(user=u), str(u)) for u in staff.order_by("name", "pk") if u.pk != actor.pk
            ]
            orgs = [(_organiser_value(org=o), o.name) for o in Organization.objects.filter(is_active=True)]
            field.choices = [(_("Staff"), people), (_("Partner organisations"), orgs)]
            current = _organiser_value(inst.organiser_user, inst.organiser_org) if not creating else ""
            if current and current not in {v for v, _label in people + orgs}:
                field.choices = [("", [(current, inst.organiser_display)]), *field.choices]
            self.initial.setdefault("organiser", current or _organiser_value(user=actor))
            return
        # Partner staff organise for their own organisation; anyone else keeps the organiser as it is.
        if actor.is_partner_staff and actor.organization_id:
            value, label = _organiser_value(org=actor.organization), actor.organization.name
        else:
            value, label = _organiser_value(inst.organiser_user, inst.organiser_org), inst.organiser_display
        field.choices = [(value, label)]
        field.initial = value
        field.disabled = True
        field.help_text = _("Activities you create are organised by %(name)s.") % {"name": label}

    def clean_organiser(self):
        value = self.cleaned_data.get("organiser") or ""
        kind, _sep, pk = value.partition(":")
        if kind == "user":
            return (User.objects.filter(pk=pk).first(), None)
        if kind == "org":
            return (None, Organization.objects.filter(pk=pk).first())
        return (None, None)

    # --- the first session ---------------------------------------------------------------------

    def clean(self):
        data = super().clean()
        if "first_date" not in self.fields:
            return data
        given = [n for n in FIRST_FIELDS if data.get(n) not in (None, "")]
        if not given:
            data["first_session"] = None
            return data
        for name, message in (
            ("first_date", _("Give the date of the first session, or leave the whole block empty.")),
            ("first_start", _("Give the time the first session starts.")),
            ("first_end", _("Give the time the first session ends.")),
        ):
            if data.get(name) is None and name not in self.errors:
                self.add_error(name, message)
        if self.errors:
            return data
        tz = timezone.get_current_timezone()
        day = data["first_date"]
        data["first_session"] = {
            "starts_at": datetime.datetime.combine(day, data["first_start"], tzinfo=tz),
            "ends_at": datetime.datetime.combine(day, data["first_end"], tzinfo=tz),
            "capacity": data.get("first_capacity"),
            "place": data.get("first_place") or "",
        }
        return data

    def chosen_leads(self) -> list[int]:
        """The lead times ticked; ``[]`` (the default) when the default was kept as it was offered."""
        leads = self.cleaned_data["lead_minutes"]
        if self._default_leads and leads == sorted(DEFAULT_REMINDER_LEADS, reverse=True):
            return []
        return leads

    def service_data(self) -> dict:
        """What the services take: the activity's fields with the chosen organiser."""
        data = {name: self.cleaned_data.get(name) for name in ACTIVITY_FIELDS}
        user, org = self.cleaned_data.get("organiser") or (None, None)
        data["organiser_user"], data["organiser_org"] = user, org
        return data

    # --- layout --------------------------------------------------------------------------------

    def _helper(self, creating: bool) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False  # the template holds the <form>, with the tiers formset inside it
        helper.disable_csrf = True
        sections = [
            Fieldset(_("The activity"), "title", "description", "area", "place", "organiser", "status"),
            Fieldset(
                _("Who may take part"),
                "min_age",
                "max_age",
                "residents_only",
                "target_group",
                "max_per_household",
            ),
            Fieldset(
                _("Places and how they are given"),
                "capacity_unit",
                "registration_scope",
                "capacity",
                "allocation",
                "waitlist_enabled",
            ),
            HTML('{% include "events/staff/_priority_tiers.html" %}'),
            Fieldset(
                _("Booking window"),
                "booking_opens_at",
                "booking_closes_at",
                "early_opens_at",
                "early_for",
                "early_group",
            ),
            Fieldset(
                _("Offers, cancelling and reminders"),
                "offer_hold_hours",
                "cancel_hours_before",
                "lead_minutes",
            ),
        ]
        if creating:
            sections.append(
                Fieldset(
                    _("First session (optional: for a one-off event; add the sessions of a course later)"),
                    *FIRST_FIELDS,
                )
            )
        helper.layout = Layout(*sections)
        return helper


class PriorityTierForm(forms.Form):
    # Not required: an empty row is no tier; a row with a group but no rank is refused by the service.
    rank = forms.IntegerField(
        label=_("Rank"), required=False, min_value=1, max_value=20, help_text=_("1 is drawn first.")
    )
    residents = forms.BooleanField(label=_("Residents of this community"), required=False)
    group = forms.ModelChoiceField(
        label=_("Target group"), queryset=TargetGroup.objects.order_by("name"), required=False
    )


class BasePriorityTierFormSet(forms.BaseFormSet):
    def tiers(self) -> list[dict]:
        """The rows filled in and not ticked for deletion."""
        return [
            {
                "rank": f.cleaned_data["rank"],
                "residents": f.cleaned_data["residents"],
                "group": f.cleaned_data["group"],
            }
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


PriorityTierFormSet = forms.formset_factory(
    PriorityTierForm,
    formset=BasePriorityTierFormSet,
    extra=2,
    max_num=10,
    validate_max=True,
    can_delete=True,
)


def tier_formset(*, data=None, activity: Activity | None = None) -> BasePriorityTierFormSet:
    initial = []
    if activity is not None and activity.pk:
        initial = [
            {"rank": t.rank, "residents": t.residents, "group": t.group_id}
            for t in activity.priority_tiers.order_by("rank")
        ]
    return PriorityTierFormSet(data=data, initial=initial, prefix=TIERS_PREFIX)
