"""Forms of the core pages: the elder list's filters, the profile, the risk override and the desk consent.
Validation only; the rules live in ``elders.services.profiles`` and the platform's consent services."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.formfields import PhoneNumberField

from elders.models import NOTE_MAX, BirthdayCalendar, HelperKind, LivingSituation, RiskLevel
from elders.selectors.access import AGE_BANDS
from elders.selectors.profiles import group_choices
from elders.services.profiles import OVERRIDE_REASON_MAX
from portal.accounts.models import User
from portal.community.models import Grid


class _Helper(FormHelper):
    def __init__(self, submit_label, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_method = "post"
        self.attrs = {"novalidate": ""}  # the portal's own errors, next to each field
        self.add_input(Submit("submit", submit_label, css_class="btn-brand"))


class ElderFilterForm(forms.Form):
    """The list's filters (GET). An invalid value is an error next to its field and is not applied."""

    q = forms.CharField(
        label=_("Name or pinyin"),
        max_length=50,
        required=False,
        help_text=_("For example: 李秀英, lixiuying or lxy"),
    )
    band = forms.TypedChoiceField(
        label=_("Age band"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("All ages")), *((str(b), f"{b}+") for b in reversed(AGE_BANDS))],
    )
    group = forms.ChoiceField(label=_("Special group"), required=False)
    risk = forms.ChoiceField(
        label=_("Risk level"), required=False, choices=[("", _("All levels")), *RiskLevel.choices]
    )
    grid = forms.ModelChoiceField(
        label=_("Grid"), required=False, queryset=Grid.objects.none(), empty_label=_("All grids")
    )

    def __init__(self, *args, sensitive_groups: bool = False, grids: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["group"].choices = [("", _("All groups")), *group_choices(sensitive=sensitive_groups)]
        if grids:
            self.fields["grid"].queryset = Grid.objects.order_by("name")
        else:
            del self.fields["grid"]

    def value(self, name):
        """The cleaned value of one filter, or its empty value when it was invalid (not applied)."""
        if not self.is_bound:
            return None
        self.is_valid()
        return self.cleaned_data.get(name) or None


class _UserByPhoneField(PhoneNumberField):
    """An active account chosen by its mobile number (the helper, the family doctor)."""

    default_error_messages = {
        "no_user": _("Nobody has an account with this number. Please check it, or ask her to sign up first."),
    }

    def clean(self, value):
        phone = super().clean(value)
        if phone in (None, ""):
            return None
        user = User.objects.filter(phone=phone, is_active=True).first()
        if user is None:
            raise forms.ValidationError(self.error_messages["no_user"], code="no_user")
        return user


class ElderProfileForm(forms.Form):
    living_situation = forms.ChoiceField(
        label=_("How she lives"), choices=LivingSituation.choices, widget=forms.RadioSelect
    )
    childless_widowed = forms.BooleanField(label=_("Widowed without children (孤寡)"), required=False)
    helper = _UserByPhoneField(
        label=_("Paired helper's mobile number"),
        region="CN",
        required=False,
        help_text=_(
            "A volunteer, party member or grid worker with an account; a younger elder can be the helper. "
            "Leave empty for none."
        ),
    )
    helper_kind = forms.ChoiceField(
        label=_("The helper is a"),
        required=False,
        choices=[("", _("Decide from the account")), *HelperKind.choices],
    )
    family_doctor = _UserByPhoneField(
        label=_("Family doctor's mobile number"),
        region="CN",
        required=False,
        help_text=_("The contracted family doctor at the health centre, if she has an account."),
    )
    needs = forms.CharField(
        label=_("Needs"),
        required=False,
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What she needs help with, in her words (up to 1,000 characters)."),
    )
    birthday_greetings = forms.BooleanField(
        label=_("Send her birthday greetings"),
        required=False,
        help_text=_("Only when she (or her family) asked for it."),
    )
    birthday_calendar = forms.ChoiceField(
        label=_("Birthday kept by"), choices=BirthdayCalendar.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _Helper(_("Save the profile"))


class RiskOverrideForm(forms.Form):
    level = forms.ChoiceField(
        label=_("Risk level set by staff"),
        required=False,
        choices=[("", _("Clear: use the derived level")), *RiskLevel.choices],
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=OVERRIDE_REASON_MAX,
        required=True,
        error_messages={"required": _("Please give the reason for setting the risk level by hand.")},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with your name and the time; shown beside the derived level."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _Helper(_("Save the risk level"))


class DeskConsentForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("record", "record"), ("withdraw", "withdraw")], widget=forms.HiddenInput, initial="record"
    )
    paper_checked = forms.BooleanField(
        label=_("I have the form she (or her guardian) signed in front of me, and it will be filed."),
        required=True,
        error_messages={"required": _("Please check the signed paper form first.")},
    )


class DeskWithdrawForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("record", "record"), ("withdraw", "withdraw")], widget=forms.HiddenInput, initial="withdraw"
    )
    withdraw_checked = forms.BooleanField(
        label=pgettext_lazy(
            "desk consent",
            "She (or her guardian) asked to withdraw it. I understand that her health details and readings "
            "will be deleted.",
        ),
        required=True,
        error_messages={"required": _("Please confirm that she asked to withdraw the consent.")},
    )
