from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.utils.translation import gettext_lazy as _


class ContactPreferenceForm(forms.Form):
    """Which channels may reach the user, and the quiet hours (免打扰时段) when no SMS is sent."""

    sms_enabled = forms.BooleanField(label=_("Send me SMS"), required=False)
    email_enabled = forms.BooleanField(
        label=_("Send me e-mail"),
        required=False,
        help_text=_("Only if an e-mail address is set in your profile."),
    )
    quiet_start = forms.TimeField(
        label=_("Quiet hours start"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("No SMS is sent between the start and the end; they wait until the quiet hours end."),
    )
    quiet_end = forms.TimeField(
        label=_("Quiet hours end"),
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Leave both times empty for no quiet hours."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.layout = Layout(
            Fieldset(_("Channels"), "sms_enabled", "email_enabled"),
            Fieldset(_("Quiet hours"), "quiet_start", "quiet_end"),
            Submit("save", _("Save"), css_class="btn-primary btn-lg"),
        )

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("quiet_start"), cleaned.get("quiet_end")
        if self.errors:
            return cleaned
        if start is None and end is not None:
            self.add_error("quiet_start", _("Give the start of the quiet hours too, or clear both times."))
        elif end is None and start is not None:
            self.add_error("quiet_end", _("Give the end of the quiet hours too, or clear both times."))
        elif start is not None and start == end:
            self.add_error("quiet_end", _("Quiet hours must end at a different time than they start."))
        return cleaned
