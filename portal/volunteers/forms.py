"""Forms of the volunteer pages: the staff's rejection note and the certificate's period."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.fields import BoundedDateField


class RejectForm(forms.Form):
    note = forms.CharField(
        label=_("Why are these hours rejected?"),
        max_length=200,
        error_messages={"required": _("Say why these hours are rejected.")},
    )

    def __init__(self, *args, entry_id: int, **kwargs):
        super().__init__(*args, prefix=f"r{entry_id}", **kwargs)
        self.helper = FormHelper()
        self.helper.form_id = f"reject-{entry_id}"
        self.helper.form_class = "mt-2"
        # The server's translated message next to the field, not the browser's own bubble.
        self.helper.attrs = {"data-testid": f"reject-form-{entry_id}", "novalidate": ""}
        self.helper.form_action = reverse("volunteers:hours_reject", args=[entry_id])
        self.helper.add_input(Submit("reject", _("Reject"), css_class="btn-outline-danger"))
        self.entry_id = entry_id


class CertificateForm(forms.Form):
    """The period a certificate covers (both optional: all her approved hours)."""

    date_from = BoundedDateField(label=_("From"), required=False)
    date_to = BoundedDateField(label=_("To"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "certificate-form"
        self.helper.form_action = reverse("volunteers:hours_certificate")
        self.helper.disable_csrf = True
        self.helper.add_input(Submit("download", _("Download certificate (PDF)"), css_class="btn-brand"))

    def clean(self):
        data = super().clean()
        a, b = data.get("date_from"), data.get("date_to")
        if a and b and a > b:
            self.add_error("date_to", _("The end of the period must not be before its start."))
        return data


class CertificateVerifyForm(forms.Form):
    """The public verification page: the 验证码 printed on a certificate, as typed."""

    code = forms.CharField(
        label=_("Verification code"),
        max_length=40,
        help_text=_("As printed on the certificate, for example ABCD-1234-EF56."),
        error_messages={"required": _("Please enter the verification code.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "certificate-verify-form"
        self.helper.form_action = reverse("volunteers:certificate_verify")
        self.helper.disable_csrf = True
        # The server's translated message next to the field, not the browser's own bubble.
        self.helper.attrs = {"novalidate": ""}
        self.fields["code"].widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        self.helper.add_input(Submit("verify", _("Check the code"), css_class="btn-brand"))

    def clean_code(self):
        from .certificate import normalise_code

        code = normalise_code(self.cleaned_data["code"])
        if len(code.replace("-", "")) != 12:
            raise forms.ValidationError(
                _("A verification code has 12 letters and digits, for example ABCD-1234-EF56.")
            )
        return code
