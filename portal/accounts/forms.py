"""Account forms: allauth's sign-up, login and password reset adapted to Chinese mobile numbers."""

from __future__ import annotations

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter
from allauth.account.forms import ConfirmLoginCodeForm as AllauthConfirmLoginCodeForm
from allauth.account.forms import ConfirmPasswordResetCodeForm as AllauthConfirmPasswordResetCodeForm
from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import RequestLoginCodeForm as AllauthRequestLoginCodeForm
from allauth.account.forms import ResetPasswordForm as AllauthResetPasswordForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.forms import VerifyPhoneForm as AllauthVerifyPhoneForm
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.accounts import ratelimits
from portal.accounts.codes import code_is_expired
from portal.accounts.phone import normalize_cn_mobile

INVALID_LOGIN = _("Please enter an 11-digit mobile number (for example 139 0080 6011) or an e-mail address.")
INVALID_EMAIL = _("Please enter the whole e-mail address, for example wang@example.com.")
LOGIN_REQUIRED = _("Please enter your mobile number or e-mail address.")


def _require(form: forms.Form, **messages) -> None:
    """Say what to do when a field is left empty ("请输入您的手机号。"), not Django's "这个字段是必填项"."""
    for name, message in messages.items():
        if name in form.fields:
            form.fields[name].error_messages = {**form.fields[name].error_messages, "required": message}


def _phone_or_email(value: str, *, message=INVALID_LOGIN) -> tuple[str, str]:
    """("email", lowercased address) or ("phone", E.164 number); ValidationError otherwise."""
    value = (value or "").strip()
    if "@" in value:
        try:
            validate_email(value)
        except ValidationError:
            raise ValidationError(INVALID_EMAIL, code="invalid_email") from None
        return "email", value.lower()
    try:
        return "phone", normalize_cn_mobile(value)
    except ValidationError:
        raise ValidationError(message, code="invalid_phone") from None


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form plus the person's name (姓名)."""

    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=50,
        help_text=_("Your real name, as on your ID card."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "phone" in self.fields:
            self.fields["phone"].label = _("Mobile phone number")
        if "email" in self.fields:
            self.fields["email"].label = _("E-mail (optional)")
        if "email" in self.fields:
            self.fields["email"].widget.attrs.pop("placeholder", None)
            self.fields["email"].error_messages = {
                **self.fields["email"].error_messages,
                "invalid": INVALID_EMAIL,
            }
        _require(
            self,
            name=_("Please enter your name."),
            phone=_("Please enter your mobile number."),
            password1=_("Please choose a password."),
            password2=_("Please enter the same password again."),
        )
        order = ["name", "phone", "email", "password1", "password2"]
        self.order_fields(order + [f for f in self.fields if f not in order])

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError(_("Please enter your name."), code="required")
        return name

    def validate_unique_email(self, value: str) -> str:
        """An address that already belongs to an account is not an error (that would tell anyone who
        owns it): the new account is made without it, and the owner of the address gets a note."""
        from allauth.account.internal.userkit import filter_users_by_email

        if filter_users_by_email(value):
            self.email_already_taken = value
            return ""
        return value

    def try_save(self, request):
        """A number that already has an account is answered like a new one: the same page, after the same
        expensive work (the password is hashed, one SMS is sent: to the owner, telling her someone tried).

        A concurrent sign-up with the same number loses at the database's unique constraint; it is then
        answered exactly like a sign-up for a number that already has an account (no 500, no leak).

        Limits first: a sign-up goes on to send a code (allauth's ``verify_phone``, by number and by client
        address, counted after the account is saved). When that code would be refused, the sign-up is
        refused before anything is saved, with the portal's 429 page saying when to try again; a taken
        number and a new one are refused alike."""
        wait = ratelimits.limits_refuse(
            request, action="verify_phone", key=self.cleaned_data.get("phone") or None
        )
        if wait:
            return None, ratelimits.respond_429(request, seconds=wait)
        if self.account_already_exists:
            return self._answer_existing_account(request)
        try:
            with transaction.atomic():
                return super().try_save(request)
        except IntegrityError:
            self.account_already_exists = True
            return self._answer_existing_account(request)

    def _answer_existing_account(self, request):
        from django.contrib.auth.hashers import make_password

        make_password(
            self.cleaned_data.get("password1") or None
        )  # the work set_password does for a new account
        return super().try_save(request)

    def save(self, request):
        user = super().save(request)
        taken = getattr(self, "email_already_taken", "")
        if taken:
            get_adapter(request).send_account_already_exists_mail(taken)
        return user


class LoginForm(AllauthLoginForm):
    """Sign in with a mobile number or an e-mail address, and a password."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        login = self.fields["login"]
        login.label = _("Mobile number or e-mail")
        login.widget.attrs.update({"autocomplete": "username", "placeholder": _("Mobile number or e-mail")})
        _require(self, login=LOGIN_REQUIRED, password=_("Please enter your password."))

    def clean_login(self) -> str:
        _kind, value = _phone_or_email(self.cleaned_data.get("login", ""))
        return value


class ResetPasswordForm(AllauthResetPasswordForm):
    """Ask for a password reset code by mobile number (SMS) or by e-mail.

    The field keeps allauth's name ``email`` because allauth's view reads it for its rate limit; it
    accepts either. The answer is the same whether or not an account exists (no enumeration).
    """

    email = forms.CharField(
        label=_("Mobile number or e-mail"),
        max_length=254,
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
        error_messages={"required": LOGIN_REQUIRED},
    )

    def clean_email(self) -> str:
        kind, value = _phone_or_email(self.cleaned_data.get("email", ""))
        self.reset_kind = kind
        if kind == "email":
            self.cleaned_data["email"] = value
            return super().clean_email()
        user = get_adapter().get_user_by_phone(value)
        self.users = [user] if user is not None and user.is_active else []
        if not self.users and not allauth_settings.PREVENT_ENUMERATION:
            raise get_adapter().validation_error("unknown_phone")
        return value

    def save(self, request, **kwargs) -> str:
        if getattr(self, "reset_kind", "email") != "phone":
            return super().save(request, **kwargs)
        from portal.accounts.flows import PhonePasswordResetProcess

        phone = self.cleaned_data["email"]
        PhonePasswordResetProcess.initiate(
            request=request, user=(self.users[0] if self.users else None), phone=phone
        )
        return phone


CODE_LENGTH = 6  # settings.ACCOUNT_*_CODE_FORMAT: the codes people type from a text message
CODE_MALFORMED = _("Please enter the 6-digit code.")


def code_field_setup(field: forms.Field) -> None:
    """The one look of every code field of the portal: labelled "验证码" with the hint "6位数字", the phone
    opens its numeric keypad and offers the code from the text message (``autocomplete=one-time-code``)."""
    field.label = _("Verification code")
    field.help_text = _("6 digits")
    field.error_messages = {**field.error_messages, "required": CODE_MALFORMED}
    field.widget.attrs.update(
        {
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "pattern": "[0-9]*",
            "maxlength": str(CODE_LENGTH),
        }
    )
    field.widget.attrs.pop("placeholder", None)  # allauth's "Code": the label and the hint say it


class RequestLoginCodeForm(AllauthRequestLoginCodeForm):
    """Ask for a sign-in code: the mobile number first, the e-mail address as the other way, one of the two.

    allauth's form takes both as optional, and an empty one passed its validation and crashed its view."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if "phone" in self.fields:
            self.fields["phone"].label = _("Mobile phone number")
        if "email" in self.fields:
            self.fields["email"].label = _("Or your e-mail address")
            self.fields["email"].widget.attrs.pop("placeholder", None)
            self.fields["email"].error_messages = {
                **self.fields["email"].error_messages,
                "invalid": INVALID_EMAIL,
            }
        order = ["phone", "email"]
        self.order_fields(order + [f for f in self.fields if f not in order])

    def clean(self):
        cleaned_data = super().clean()
        if not self.errors and not cleaned_data.get("phone") and not cleaned_data.get("email"):
            field = "phone" if "phone" in self.fields else "email"
            self.add_error(field, ValidationError(_("Please enter your mobile number."), code="required"))
        return cleaned_data


class _ExpiringCodeMixin:
    """A code field that opens the numeric keypad; a code that is not six digits is refused saying so
    ("请输入6位数字验证码"), and a correct code that is past its validity with its own message."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        code_field_setup(self.fields["code"])

    def clean_code(self) -> str:
        typed = "".join((self.cleaned_data.get("code") or "").split())
        if len(typed) != CODE_LENGTH or not typed.isdigit():
            raise ValidationError(CODE_MALFORMED, code="malformed")
        self.cleaned_data["code"] = typed
        code = super().clean_code()
        if code_is_expired(self.expected_code or ""):
            raise ValidationError(_("This code has expired. Please ask for a new one."), code="expired")
        return code


class VerifyPhoneForm(_ExpiringCodeMixin, AllauthVerifyPhoneForm):
    pass


class ConfirmLoginCodeForm(_ExpiringCodeMixin, AllauthConfirmLoginCodeForm):
    pass


class ConfirmPasswordResetCodeForm(_ExpiringCodeMixin, AllauthConfirmPasswordResetCodeForm):
    pass


def language_choices() -> list[tuple[str, str]]:
    return [("", _("Follow my browser")), *settings.LANGUAGES]


class ProfileForm(forms.Form):
    name = forms.CharField(
        label=pgettext_lazy("person", "Name"),
        max_length=50,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=language_choices, required=False)
    elder_mode = forms.BooleanField(label=_("Elder mode (larger text and buttons)"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = True
        self.helper.form_method = "post"
        self.helper.add_input(Submit("save", _("Save"), css_class="btn-brand"))

    def clean_name(self) -> str:
        name = (self.cleaned_data.get("name") or "").strip()
        if not name:
            raise ValidationError(_("Please enter your name."), code="required")
        return name
