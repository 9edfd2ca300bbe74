"""Every code field opens the numeric keypad, is labelled as a verification code with the hint "6 digits", and
says what to do with a malformed code; the request-a-code form wants a number (issue 9)."""

import pytest
from django.urls import reverse
from django.utils import translation

from portal.accounts.forms import (
    CODE_MALFORMED,
    ConfirmLoginCodeForm,
    ConfirmPasswordResetCodeForm,
    VerifyPhoneForm,
)
from tests.accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("form_class", [VerifyPhoneForm, ConfirmLoginCodeForm, ConfirmPasswordResetCodeForm])
def test_the_code_field_opens_the_numeric_keypad(form_class):
    field = form_class(code="123456").fields["code"]
    attrs = field.widget.attrs
    assert attrs["inputmode"] == "numeric"
    assert attrs["autocomplete"] == "one-time-code"
    assert attrs["pattern"] == "[0-9]*"
    assert "placeholder" not in attrs
    with translation.override("en"):
        assert str(field.label) == "Verification code" and str(field.help_text) == "6 digits"
    with translation.override("zh-hans"):
        assert str(field.label) == "验证码" and str(field.help_text) == "6位数字"


@pytest.mark.parametrize("typed", ["", "12", "abcdef", "1234567"])
def test_a_malformed_code_is_refused_saying_what_to_do(typed):
    form = ConfirmLoginCodeForm({"code": typed}, code="123456")
    assert not form.is_valid()
    assert form.errors["code"] == [str(CODE_MALFORMED)]


def test_the_reset_code_page_renders_the_field_for_the_keypad(client):
    UserFactory(phone="+8613900000001")
    client.post(reverse("account_reset_password"), {"email": "13900000001"})
    html = client.get(reverse("account_confirm_password_reset_code")).content.decode()
    assert 'inputmode="numeric"' in html and 'autocomplete="one-time-code"' in html
    assert "139 **** 0001" in html


def test_asking_for_a_sign_in_code_with_nothing_filled_in_says_what_to_do(client, settings):
    settings.ACCOUNT_FORMS = {
        **settings.ACCOUNT_FORMS,
        "request_login_code": "portal.accounts.forms.RequestLoginCodeForm",
    }
    response = client.post(reverse("account_request_login_code"), {"phone": "", "email": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == ["请输入您的手机号。"]
    fields = list(response.context["form"].fields)
    assert fields.index("phone") < fields.index("email")


def test_the_phone_change_page_asks_for_a_tel_number_and_lists_its_error(client):
    client.force_login(UserFactory(phone="+8613900000001"))
    response = client.post(reverse("account_change_phone"), {"phone": "123", "action_add": ""})
    html = response.content.decode()
    assert 'data-testid="error-summary"' in html and 'href="#id_phone"' in html
    assert 'aria-invalid="true"' in html and 'autocomplete="tel"' in html and 'inputmode="tel"' in html
