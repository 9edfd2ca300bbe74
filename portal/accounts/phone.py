"""Mainland China mobile numbers (中国大陆手机号): parsing, validation and the form field.

Every phone number the portal stores or looks up goes through :func:`normalize_cn_mobile`, which
returns the E.164 form (``+8613912345678``) the database holds.
"""

from __future__ import annotations

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Says what a good number looks like (the national format, as the portal shows numbers: 139 0080 6011).
INVALID_CN_MOBILE = _("A mobile number has 11 digits and starts with 1, for example 139 0080 6011.")

_MOBILE_TYPES = {phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE}


def parse_cn_mobile(value: object) -> str | None:
    """The E.164 form of ``value`` if it is a mainland China mobile number, else ``None``."""
    if value is None:
        return None
    raw = str(value).strip()
    for char in " -()\u3000":
        raw = raw.replace(char, "")
    if raw.startswith("0086"):
        raw = "+" + raw[2:]
    if not raw or len(raw) > 20:
        return None
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in _MOBILE_TYPES:
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_cn_mobile(value: object) -> str:
    """E.164 form of a mainland China mobile number; ``ValidationError`` (code ``invalid_phone``) otherwise."""
    e164 = parse_cn_mobile(value)
    if e164 is None:
        raise ValidationError(INVALID_CN_MOBILE, code="invalid_phone")
    return e164


def national_digits(e164: str) -> str:
    """``+8613912345678`` -> ``13912345678`` (what Chinese SMS providers and people expect)."""
    return e164[3:] if e164.startswith("+86") else e164.lstrip("+")


class CNMobileField(forms.CharField):
    """A form field for a mainland China mobile number; cleans to E.164."""

    default_error_messages = {"invalid_phone": INVALID_CN_MOBILE}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label", _("Mobile phone number"))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "type": "tel",
                    "autocomplete": "tel",
                    "inputmode": "tel",
                    "placeholder": "139 1234 5678",
                }
            ),
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        e164 = parse_cn_mobile(value)
        if e164 is None:
            raise ValidationError(self.error_messages["invalid_phone"], code="invalid_phone")
        return e164

    def clean(self, value):
        value = super().clean(value)
        if value:
            from allauth.account.adapter import get_adapter

            value = get_adapter().clean_phone(value)
        return value
