"""Forms of the registry pages: validation of the input and the crispy layout. Rules live in services."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.formfields import PhoneNumberField

from portal.fields import DateOfBirthField

from .models import ConsentPurpose, EmergencyContact, Estate, Gender, SensitiveProfile
from .services import DependentKind


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (the rest at the top of the form)."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.error_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class _Helper(FormHelper):
    def __init__(self, submit_label, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_method = "post"
        self.add_input(Submit("submit", submit_label, css_class="btn-brand"))


class HouseholdClaimForm(forms.Form):
    estate = forms.ModelChoiceField(
        label=_("Estate"), queryset=Estate.objects.order_by("name"), empty_label=_("Choose your estate")
    )
    building_number = forms.CharField(label=_("Building"), max_length=20, help_text=_("For example: 3"))
    unit = forms.CharField(label=_("Unit"), max_length=10, required=False, help_text=_("Leave empty if none"))
    room = forms.CharField(label=_("Room"), max_length=10, help_text=_("For example: 502"))
    message = forms.CharField(label=_("Message to staff"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _Helper(_("Send my claim"))


class PersonDetailsForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", _("Not given")), *Gender.choices], required=False
    )
    birth_date = DateOfBirthField(label=_("Date of birth"), required=False)
    phone = PhoneNumberField(label=_("Mobile phone"), region="CN", required=False)
    # The guardian's consent for a child under 14 (PIPL art. 31), given where the date of birth is entered;
    # the service decides whether it is needed (portal.community.services.guardian_consent_check).
    minor_consent = forms.BooleanField(
        label=_(
            "As the guardian, I consent to the community keeping my child's personal information for the "
            "purposes in the privacy notice."
        ),
        help_text=_("Required for a child under 14 (PIPL article 31)."),
        required=False,
    )

    def __init__(self, *args, for_self: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_self:
            del self.fields["minor_consent"]  # nobody is her own guardian
        self.helper = _Helper(_("Save"))


class DependentForm(PersonDetailsForm):
    kind = forms.ChoiceField(label=_("Who is this?"), choices=DependentKind.choices, widget=forms.RadioSelect)

    field_order = ["kind", "name", "gender", "birth_date", "phone", "minor_consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["birth_date"].required = True
        self.helper = _Helper(_("Add to my family"))


class EmergencyContactForm(forms.ModelForm):
    phone = PhoneNumberField(label=_("Phone"), region="CN")

    class Meta:
        model = EmergencyContact
        fields = ["name", "phone", "relationship", "priority"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["priority"].validators.append(MinValueValidator(1))
        self.fields["priority"].widget.attrs["min"] = 1
        self.helper = _Helper(_("Add contact"))


class SensitiveProfileForm(forms.ModelForm):
    class Meta:
        model = SensitiveProfile
        fields = [
            "health_conditions",
            "disability",
            "care_level",
            "adl_level",
            "receives_dibao",
            "allergies",
            "medications",
            "notes",
        ]
        widgets = {
            "health_conditions": forms.Textarea(attrs={"rows": 3}),
            "medications": forms.Textarea(attrs={"rows": 3}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _Helper(_("Save"))


class ConsentActionForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices)
    action = forms.ChoiceField(choices=[("grant", "grant"), ("withdraw", "withdraw")])


class PeopleSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search people"),
        max_length=100,
        required=False,
        help_text=_("Name, pinyin (zhang), initials (zs), last 4 digits of the phone, or address (3-1-502)."),
    )


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", _("Confirm")), ("reject", _("Reject"))])
    note = forms.CharField(label=_("Note"), max_length=200, required=False)
