"""Children and guardians: the forms of a guardian's pages (crispy, errors at the field and in the error
summary; the services decide, ``apply_service_errors`` puts their reasons next to the fields)."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from phonenumber_field.formfields import PhoneNumberField

from portal.community.models import Gender, Organization, OrganizationKind
from portal.fields import DateOfBirthField

from ..models import NOTE_MAX, Grade, PickupRelation

MINOR_CONSENT_LABEL = _(
    "As her guardian, I consent to the community keeping my child's personal information (school, grade, "
    "health notes, emergency contacts and who may collect her) for the purposes in the privacy notice."
)


class _Helper(FormHelper):
    def __init__(self, submit_label, *args, multipart: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.form_method = "post"
        if multipart:
            self.form_tag = True
            self.attrs = {"enctype": "multipart/form-data"}
        self.add_input(Submit("submit", submit_label, css_class="btn-brand"))


def _school_field():
    return forms.ModelChoiceField(
        label=_("School"),
        queryset=Organization.objects.filter(kind=OrganizationKind.SCHOOL, is_active=True).order_by("name"),
        required=False,
        empty_label=_("Not on the list / not given"),
    )


class _SchoolFields(forms.Form):
    school = _school_field()
    school_name = forms.CharField(
        label=_("Other school"),
        max_length=100,
        required=False,
        help_text=_("When her school is not on the list."),
    )
    grade = forms.ChoiceField(
        label=pgettext_lazy("school year", "Grade"),
        choices=[("", _("Not given")), *Grade.choices],
        required=False,
    )


class ChildAddForm(_SchoolFields):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    gender = forms.ChoiceField(
        label=_("Gender"), choices=[("", _("Not given")), *Gender.choices], required=False
    )
    birth_date = DateOfBirthField(label=_("Date of birth"))
    minor_consent = forms.BooleanField(
        label=MINOR_CONSENT_LABEL,
        help_text=_(
            "Required for a child under 14 (PIPL article 31): without it only her name and age are kept."
        ),
        required=False,
    )

    field_order = ["name", "gender", "birth_date", "school", "school_name", "grade", "minor_consent"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = self.fields["school"].queryset.all()
        self.helper = _Helper(_("Add my child"))


class ChildEditForm(ChildAddForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _Helper(_("Save"))


class ChildHealthForm(forms.Form):
    allergies = forms.CharField(
        label=_("Allergies"),
        max_length=200,
        required=False,
        help_text=_("Food or medicine, for example: peanuts. Shown to the staff on the day's roster."),
    )
    medications = forms.CharField(
        label=_("Medication"), max_length=NOTE_MAX, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    health_conditions = forms.CharField(
        label=_("Health conditions"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example asthma. Only the staff running her programme see it."),
    )
    health_consent = forms.BooleanField(
        label=_("As her guardian, I consent to the community keeping these health notes about my child."),
        required=False,
    )

    def __init__(self, *args, consent_given: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if consent_given:
            del self.fields["health_consent"]
        self.helper = _Helper(_("Save health notes"))


class ChildContactForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    phone = PhoneNumberField(label=_("Mobile phone"), region="CN")
    relationship = forms.CharField(label=_("Relationship"), max_length=30, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="contact", **kwargs)
        self.helper = _Helper(_("Add contact"))


class PickupAddForm(forms.Form):
    STANDING, TODAY = "standing", "today"

    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50)
    relation = forms.ChoiceField(
        label=_("Relation to the child"), choices=[("", "---------"), *PickupRelation.choices]
    )
    phone = PhoneNumberField(label=_("Mobile phone"), region="CN")
    validity = forms.ChoiceField(
        label=_("For how long"),
        choices=[(STANDING, _("Every day, until I revoke it")), (TODAY, _("Today only"))],
        initial=STANDING,
        widget=forms.RadioSelect,
    )
    photo = forms.ImageField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_("A clear photo of the face, JPEG, PNG or WebP, so that staff recognise her at the door."),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = _Helper(_("Authorise"), multipart=True)
