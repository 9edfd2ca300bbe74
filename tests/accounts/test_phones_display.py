"""Phone numbers as people read them: 139 0080 6011 (portal.accounts.templatetags.phones)."""

import pytest
from django.template import Context, Template
from phonenumber_field.phonenumber import PhoneNumber

from portal.accounts.templatetags.phones import phone_display, phone_masked, phone_tel


@pytest.mark.parametrize(
    "value", ["+8613900806011", "13900806011", "139 0080 6011", PhoneNumber.from_string("+8613900806011")]
)
def test_a_mobile_number_is_shown_in_three_groups_without_the_country_code(value):
    assert phone_display(value) == "139 0080 6011"
    assert phone_masked(value) == "139 **** 6011"
    assert phone_tel(value) == "+8613900806011"


def test_a_landline_keeps_its_national_format_and_is_not_taken_for_a_mobile():
    landline = PhoneNumber.from_string("+8651383001234")
    assert phone_display(landline) == "0513 8300 1234"


def test_what_is_not_a_number_is_shown_as_it_is():
    assert phone_display("") == "" and phone_display(None) == ""
    assert phone_display("****6011") == "****6011"  # a number shown to someone who may not see it whole
    assert phone_masked("****6011") == "****6011"


def test_the_filters_in_a_template():
    html = Template("{% load phones %}{{ p|phone_display }} / {{ p|phone_masked }}").render(
        Context({"p": "+8613900806011"})
    )
    assert html == "139 0080 6011 / 139 **** 6011"


@pytest.mark.django_db
def test_the_profile_and_the_change_page_show_the_number_in_groups(client):
    from django.urls import reverse

    from tests.accounts.factories import UserFactory

    client.force_login(UserFactory(phone="+8613900806011"))
    for name in ("accounts:profile", "account_change_phone"):
        html = client.get(reverse(name)).content.decode()
        assert "139 0080 6011" in html, name
        assert "+8613900806011" not in html, name
