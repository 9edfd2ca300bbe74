"""Forms of the staff pages of an activity: reminder lead times, cancelling a session, a message to
everyone booked, and the roster filter. Each form owns its crispy ``FormHelper``; the rules themselves
live in the services, whose refusals ``apply_service_errors`` puts next to the right field."""

from __future__ import annotations

import re
import secrets

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .models import RegistrationStatus
from .services.reminders import STAFF_MESSAGE_MAX

LEAD_MIN = 10
LEAD_MAX = 14 * 24 * 60
LEADS_MAX_COUNT = 5
_REQUEST_KEY = re.compile(r"^[A-Za-z0-9_-]{16,48}$")


def new_request_key() -> str:
    """A one-time token for a form, so that a double tap sends once."""
    return secrets.token_urlsafe(24)


class RequestKeyField(forms.CharField):
    """A form's hidden one-time key. An odd value (an old or tampered form, a NUL byte, too long) is no
    error the user could see or fix: it cleans to ``""`` (no key) instead."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)
        self.validators = []  # no "null characters" error on a field nobody sees

    def clean(self, value) -> str:
        key = self.to_python(value)
        return key if _REQUEST_KEY.match(key) else ""


class ServiceErrorsMixin:
    def apply_service_errors(self, exc: ValidationError) -> None:
        """Show a service's ``ValidationError`` next to its field (or above the form)."""
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        else:
            self.add_error(None, exc.messages)


#: The lead times staff choose from (minutes before each session), longest first.
LEAD_CHOICES = (7 * 1440, 3 * 1440, 2 * 1440, 1440, 240, 120, 60, 30)


def lead_label(minutes: int) -> str:
    """A lead time in words: "1 day before", "2 hours before", "90 minutes before"."""
    if minutes % (24 * 60) == 0:
        n = minutes // (24 * 60)
        return ngettext("%(n)d day before", "%(n)d days before", n) % {"n": n}
    if minutes % 60 == 0:
        n = minutes // 60
        return ngettext("%(n)d hour before", "%(n)d hours before", n) % {"n": n}
    return ngettext("%(n)d minute before", "%(n)d minutes before", minutes) % {"n": minutes}


class _ChoicesBoundField(forms.BoundField):
    """Each checkbox of a refused list points at the list's error (aria-describedby), so that a screen
    reader reads the error with the box, as it does for the portal's single fields."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors and self.auto_id:
            described = attrs.get("aria-describedby", "").split()
            attrs["aria-describedby"] = " ".join([*described, f"{self.auto_id}_error"])
        return attrs


class LeadTimesField(forms.TypedMultipleChoiceField):
    """Reminder lead times ticked from a list in words ("1 day before", "2 hours before"), never typed
    as minutes. A lead time already saved that is not in the list (set in the admin) stays offered, so
    saving the form never drops it unseen. Cleans to a list of minutes, longest first."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, *, extra: tuple[int, ...] = (), **kwargs):
        kwargs.setdefault("label", _("Reminders before each session"))
        kwargs.setdefault(
            "help_text",
            _("Tick at most 5. Tick none for the default (the day before and two hours before)."),
        )
        super().__init__(coerce=int, required=False, choices=(), **kwargs)
        self.set_extra(extra)

    def get_bound_field(self, form, field_name):
        return _ChoicesBoundField(form, self, field_name)

    def set_extra(self, extra) -> None:
        minutes = sorted(
            {*LEAD_CHOICES, *(int(m) for m in extra if LEAD_MIN <= int(m) <= LEAD_MAX)}, reverse=True
        )
        self.choices = [(m, lead_label(m)) for m in minutes]

    def clean(self, value) -> list[int]:
        leads = sorted(set(super().clean(value)), reverse=True)
        if len(leads) > LEADS_MAX_COUNT:
            raise ValidationError(
                _("Choose at most %(n)d reminder times.") % {"n": LEADS_MAX_COUNT}, code="too_many"
            )
        return leads


class LeadTimesForm(ServiceErrorsMixin, forms.Form):
    lead_minutes = LeadTimesField()

    def __init__(self, *args, saved: tuple[int, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead_minutes"].set_extra(saved)
        self.helper = FormHelper()
        self.helper.form_id = "lead-times-form"
        self.helper.add_input(Submit("save_leads", _("Save reminder times"), css_class="btn-brand"))


class CancelSessionForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=200,
        help_text=_("Everyone booked receives it with the cancellation notice."),
        error_messages={"required": _("Give the reason: everyone booked will read it.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "cancel-session-form"
        self.helper.add_input(
            Submit("cancel_session", _("Cancel this session and tell everyone"), css_class="btn-danger")
        )


class StaffMessageForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Message"),
        max_length=STAFF_MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": STAFF_MESSAGE_MAX}),
        error_messages={"required": _("Write the message to send.")},
    )
    include_waitlist = forms.BooleanField(label=_("Also tell those on the waitlist"), required=False)
    # Offered only once the service has refused a repeat of the same text (code "repeat").
    confirm_repeat = forms.BooleanField(label=_("Yes, send it again"), required=False)
    request_key = RequestKeyField()

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("request_key", new_request_key())
        super().__init__(*args, **kwargs)
        self.fields["text"].help_text = gettext(
            "At most %(max)d characters. Sent by in-site message and SMS, as each person prefers."
        ) % {"max": STAFF_MESSAGE_MAX}
        self.helper = FormHelper()
        self.helper.form_id = "staff-message-form"
        self.helper.layout = Layout("text", "include_waitlist", "request_key")
        self.helper.add_input(Submit("send_message", _("Send"), css_class="btn-brand"))
        if self.is_bound and self.fields["confirm_repeat"].to_python(self.data.get("confirm_repeat")):
            self._offer_repeat()

    def _offer_repeat(self) -> None:
        if "confirm_repeat" not in self.helper.layout.fields:
            # right under the question next to the text
            self.helper.layout.fields.insert(1, "confirm_repeat")

    def apply_service_errors(self, exc: ValidationError) -> None:
        super().apply_service_errors(exc)
        if self.has_error("text", code="repeat"):
            self._offer_repeat()

    def clean_request_key(self) -> str:
        key = self.cleaned_data.get("request_key") or ""
        # A missing or odd key (an old form, a tampered one) gets a fresh one: the message still sends once.
        return key if _REQUEST_KEY.match(key) else new_request_key()


class RosterFilterForm(forms.Form):
    show = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Everyone holding a place")),
            (RegistrationStatus.CONFIRMED, _("Confirmed")),
            ("checked_in", _("Checked in")),
            ("not_checked_in", _("Confirmed, not checked in yet")),
            (RegistrationStatus.OFFERED, _("Offered a seat")),
            (RegistrationStatus.WAITLISTED, _("On the waitlist")),
            (RegistrationStatus.APPLIED, _("Applied (lottery)")),
            (RegistrationStatus.CANCELLED, _("Cancelled")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "roster-filter"
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("filter", _("Filter"), css_class="btn-brand"))
