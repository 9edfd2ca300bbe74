"""Safe pickup: the sign-out form (who is collecting the child: one of her collectors, shown with photo,
or someone else whose name and relation staff type) and the day roster's filter."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..models import PickupAttempt
from ..selectors.collectors import Collector

#: The value of the "someone else" tile.
OTHER = "other"


class SignOutForm(forms.Form):
    """``collector``: ``guardian:<id>`` / ``pickup:<id>`` of one of her collectors, or ``other`` with the
    name (and relation) of the person at the door. The form only checks the shape; whether the person may
    collect her is the service's decision (an unlisted person is refused and recorded there)."""

    collector = forms.ChoiceField(label=_("Who is collecting her?"), widget=forms.RadioSelect)
    other_name = forms.CharField(
        label=_("Name of the person at the door"),
        max_length=PickupAttempt._meta.get_field("name").max_length,
        required=False,
    )
    other_relation = forms.CharField(
        label=_("Relation to the child, as she says"),
        max_length=PickupAttempt._meta.get_field("relation").max_length,
        required=False,
    )

    def __init__(self, *args, collectors: list[Collector], **kwargs):
        super().__init__(*args, **kwargs)
        self.collectors = collectors
        self.fields["collector"].choices = [(c.choice_value, c.name) for c in collectors] + [
            (OTHER, pgettext_lazy("pickup", "Someone else"))
        ]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean(self):
        data = super().clean()
        if data.get("collector") == OTHER and not (data.get("other_name") or "").strip():
            self.add_error("other_name", _("Type the name of the person at the door."))
        return data

    @property
    def collector_value(self) -> str | None:
        value = self.cleaned_data.get("collector")
        return None if value == OTHER else value


class RosterFilterForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Everyone booked")),
            ("waiting", _("Not yet arrived")),
            ("here", _("Here now")),
            ("gone", _("Gone home")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_tag = False
        self.helper.disable_csrf = True
