"""The portal's one error summary (templates/includes/error_summary.html): every crispy form that comes back
with errors lists each problem above the form, a field's linked to its field, the form-wide ones as text;
a valid or unbound form shows none."""

import re

from crispy_forms.helper import FormHelper
from crispy_forms.utils import render_crispy_form
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation


class _Form(forms.Form):
    name = forms.CharField(label="Name")
    phone = forms.CharField(label="Mobile number")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()

    def clean(self):
        if self.cleaned_data.get("name") == "twice":
            raise ValidationError("This person is already booked.")
        return self.cleaned_data


def _summary(form) -> str:
    with translation.override("en"):
        page = render_crispy_form(form)
    found = re.search(r"<div[^>]*data-error-summary.*?</div>", page, re.S)
    return found.group(0) if found else ""


def test_each_field_error_is_linked_to_its_field_and_form_errors_are_listed():
    form = _Form({"name": "twice", "phone": ""})
    assert not form.is_valid()
    summary = _summary(form)
    links = re.findall(r'<a class="alert-link" href="([^"]+)">\s*(.*?)\s*</a>', summary, re.S)
    assert links == [("#id_phone", "This field is required.")]
    assert "<li>This person is already booked.</li>" in summary
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary
    assert "Please correct the following:" in summary


def test_no_summary_without_errors():
    assert _summary(_Form()) == ""
    assert _summary(_Form({"name": "a", "phone": "b"})) == ""
