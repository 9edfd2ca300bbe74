"""Forms of the resident pages: the booking form. Validation of the input only; the rules (windows,
eligibility, seats) live in ``events.services`` and their refusals are put next to the fields here."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Field, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _

from portal.fields import IdsChoiceField

from .models import Activity, Session

#: Which field a service refusal belongs next to, by the ValidationError's code.
PERSON_CODES = {
    "not_eligible",
    "no_persons",
    "already_booked",
    "household_full",
    "too_young",
    "too_old",
    "age_unknown",
    "not_resident",
    "not_in_group",
    "early_window_only",
}
SESSION_CODES = {"no_session", "wrong_session", "session_cancelled", "session_started", "full"}


class PersonChoiceField(IdsChoiceField):
    #: Persons who already hold a place (``{pk: name}``): not offered as boxes, refused if posted anyway.
    held: dict[int, str] = {}

    def label_from_instance(self, obj):
        return obj.name

    def clean(self, value):
        if self.held and value:
            names = []
            for pk in value if isinstance(value, (list, tuple)) else [value]:
                try:
                    key = int(str(pk))
                except (TypeError, ValueError):
                    continue
                if key in self.held:
                    names.append(self.held[key])
            if names:
                raise ValidationError(
                    _("Already booked or on the waitlist here: %(names)s. See My bookings.")
                    % {"names": "、".join(names)},
                    code="already_booked",
                )
        return super().clean(value)


class SessionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        start = timezone.localtime(obj.starts_at)
        end = timezone.localtime(obj.ends_at)
        label = f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
        seats = getattr(obj, "seats_left", None)
        if seats is not None:
            if seats:
                label += " · " + ngettext("%(n)s place left", "%(n)s places left", seats) % {"n": seats}
            else:
                label += " · " + str(_("full"))
        return label


class BookingForm(forms.Form):
    persons = PersonChoiceField(
        label=_("Who is coming?"),
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one person.")},
        help_text=_("You can book for yourself and for the people in your care, all at once."),
    )
    session = SessionChoiceField(
        label=_("Which session?"),
        queryset=None,
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("Choose a session."),
            "invalid_choice": _("This session cannot be booked."),
        },
    )

    def __init__(self, *args, activity: Activity, people, sessions, submit_label, held=None, **kwargs):
        """``held`` lists the family members who already hold a place in every pool the form can book
        (``[(person, status)]``, see ``events.views.held_places``): they are shown as booked, in words,
        rather than as boxes to tick, and the form refuses them if they are posted anyway."""
        super().__init__(*args, **kwargs)
        self.activity = activity
        self.held = list(held or [])
        held_ids = {person.pk: person.name for person, _status in self.held}
        field = self.fields["persons"]
        field.queryset = people.exclude(pk__in=held_ids) if held_ids else people
        field.held = held_ids
        if activity.is_course:
            del self.fields["session"]
        else:
            self.fields["session"].queryset = sessions
            if len(sessions) == 1 and not self.is_bound:
                self.initial["session"] = sessions[0].pk
        self.helper = FormHelper()
        self.helper.form_method = "post"
        fields = [name for name in self.fields if name != "persons"]
        if self.held:
            # A fixed template text (crispy compiles it): the names come from the context, escaped.
            booked = HTML('{% include "events/_held_persons.html" with held=form.held %}')
            self.helper.layout = Layout(booked, Field("persons"), *fields)
        self.helper.add_input(Submit("book", submit_label, css_class="btn-brand btn-lg"))

    @property
    def nobody_left(self) -> bool:
        """Everyone the user may book for already holds a place: nothing left to tick."""
        return bool(self.held) and not self.fields["persons"].queryset.exists()

    @property
    def chosen_session(self) -> Session | None:
        return self.cleaned_data.get("session") if "session" in self.fields else None

    def apply_service_errors(self, exc: ValidationError) -> None:
        """Put each reason a service refused with next to the field it is about."""
        # A refusal listing several persons' reasons is raised as a list (code "not_eligible"), and a
        # ValidationError built from a list keeps no code: such reasons are all about the persons.
        outer = getattr(exc, "code", None) or "not_eligible"
        errors = exc.error_list if hasattr(exc, "error_list") else [ValidationError(m) for m in exc.messages]
        for error in errors:
            code = error.code or outer
            field = None
            if code in PERSON_CODES:
                field = "persons"
            elif code in SESSION_CODES and "session" in self.fields:
                field = "session"
            self.add_error(field, error)


class TicketCodeField(forms.CharField):
    """What a scan puts in the ticket box of the check-in desk and the checkpoint stations: the bare token
    or the ticket link (``checkin_token_parse`` reads either). The camera scanner fills the field marked
    ``data-scan-target`` (static/js/scanner.js)."""

    def __init__(self, *, help_text, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Ticket code or ticket link"))
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault(
            "error_messages", {"required": gettext_lazy("Scan or type the code of the ticket.")}
        )
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "autocomplete": "off",
                    "autocapitalize": "off",
                    "spellcheck": "false",
                    "data-scan-target": "",
                }
            ),
        )
        super().__init__(help_text=help_text, **kwargs)
