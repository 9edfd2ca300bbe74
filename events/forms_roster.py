"""Forms of the roster's actions: cancelling one person's place for a resident who phoned, offering a seat
to a named person on the waitlist. Each owns its crispy ``FormHelper``; the rules live in the services
(``registration_cancel_on_behalf``, ``waitlist_offer_to``), whose refusals ``apply_service_errors`` puts
next to the field or above the form."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms_staff import ServiceErrorsMixin
from .services.booking import CANCEL_REASON_MAX
from .services.waitlist import OFFER_REASON_MAX


class RosterCancelForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling"),
        max_length=CANCEL_REASON_MAX,
        help_text=_("Kept with the cancellation and sent to the resident with the notice."),
        error_messages={"required": _("Give the reason, e.g. “the resident phoned to cancel”.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("reason", _("The resident phoned to cancel"))
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "roster-cancel-form"
        self.helper.add_input(
            Submit("cancel_place", _("Cancel this place and tell the resident"), css_class="btn-danger")
        )


class RosterOfferForm(ServiceErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for offering this seat out of turn"),
        max_length=OFFER_REASON_MAX,
        help_text=_("For example: “walks with difficulty, given priority”. Kept with the offer."),
        error_messages={"required": _("Give the reason for offering this person a seat before the others.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = "roster-offer-form"
        self.helper.add_input(
            Submit("offer_seat", _("Offer the seat and tell the family"), css_class="btn-brand")
        )
