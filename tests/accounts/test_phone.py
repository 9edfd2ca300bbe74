import pytest
from django.core.exceptions import ValidationError

from portal.accounts.phone import (
    INVALID_CN_MOBILE,
    CNMobileField,
    national_digits,
    normalize_cn_mobile,
    parse_cn_mobile,
)


@pytest.mark.parametrize(
    "raw",
    [
        "13912345678",
        "139 1234 5678",
        "139-1234-5678",
        "+86 139 1234 5678",
        "+8613912345678",
        "008613912345678",
    ],
)
def test_mainland_mobile_numbers_are_normalised_to_e164(raw):
    assert normalize_cn_mobile(raw) == "+8613912345678"


@pytest.mark.parametrize(
    "raw",
    ["", "1391234567", "139123456789", "01012345678", "+14155550123", "+85291234567", "hello", "1" * 40],
)
def test_landlines_foreign_and_malformed_numbers_are_refused(raw):
    assert parse_cn_mobile(raw) is None
    with pytest.raises(ValidationError) as excinfo:
        normalize_cn_mobile(raw)
    assert excinfo.value.code == "invalid_phone"


def test_form_field_shows_the_translated_message_in_chinese(settings):
    from django.utils import translation

    field = CNMobileField()
    with translation.override("en"), pytest.raises(ValidationError) as excinfo:
        field.clean("12345")
    assert excinfo.value.messages == [str(INVALID_CN_MOBILE)]
    assert field.clean("13912345678") == "+8613912345678"


def test_national_digits():
    assert national_digits("+8613912345678") == "13912345678"
