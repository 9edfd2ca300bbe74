"""Dates of birth as three boxes (year, month, day): each labelled, numeric keypad, autocomplete bday-*,
and an error that says which part to fix; the portal's bounds kept; one widget for every date of birth."""

import datetime

import pytest
from django.utils import timezone, translation

from portal.community.forms import DependentForm, PersonDetailsForm
from portal.fields import MAX_DATE, DateOfBirthField, DateOfBirthWidget


def clean(year, month, day, **kwargs):
    field = DateOfBirthField(**kwargs)
    widget = DateOfBirthWidget()
    data = {"d_year": year, "d_month": month, "d_day": day}
    return field.clean(widget.value_from_datadict(data, {}, "d"))


def error(year, month, day, **kwargs) -> str:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        clean(year, month, day, **kwargs)
    return exc.value.messages[0]


def test_three_boxes_make_a_date():
    assert clean("1942", "3", "8") == datetime.date(1942, 3, 8)
    assert clean(" 1942 ", "03", "08") == datetime.date(1942, 3, 8)
    assert clean("１９４２", "３", "８") == datetime.date(1942, 3, 8)  # full-width digits of a Chinese IME
    assert clean("", "", "", required=False) is None


def test_errors_name_the_part_to_fix_in_english():
    with translation.override("en"):
        assert error("", "3", "8") == "Enter the year of birth in four digits, for example 1942."
        assert error("42", "3", "8") == "Enter the year of birth in four digits, for example 1942."
        assert error("1942", "13", "8").startswith("Enter the month of birth as a number from 1 to 12")
        assert error("1942", "3", "x") == "Enter the day of birth as a number, for example 8."
        assert error("2023", "2", "30") == "Month 2 has no day 30."
        assert error("2023", "2", "29") == "Month 2 has no day 29."
        assert clean("2024", "2", "29") == datetime.date(2024, 2, 29)
        assert error("", "", "", required=True) == "Enter the date of birth, for example 1942, 3, 8."


def test_the_portals_bounds_and_no_future():
    with translation.override("en"):
        assert error("1899", "12", "31") == "Enter a date between the years 1900 and 2100."
        assert error(str(MAX_DATE.year + 1), "1", "1") == "The date of birth cannot be in the future."
        tomorrow = timezone.localdate() + datetime.timedelta(days=1)
        assert "future" in error(str(tomorrow.year), str(tomorrow.month), str(tomorrow.day))


def test_one_iso_date_under_the_fields_name_is_read_too():
    widget = DateOfBirthWidget()
    assert DateOfBirthField().clean(
        widget.value_from_datadict({"d": "1942-03-08"}, {}, "d")
    ) == datetime.date(1942, 3, 8)


@pytest.mark.parametrize("form_class", [DependentForm, PersonDetailsForm])
def test_the_family_forms_use_the_one_widget_with_labelled_numeric_boxes(form_class):
    with translation.override("en"):
        form = form_class(initial={"birth_date": datetime.date(1942, 3, 8)})
        assert isinstance(form.fields["birth_date"].widget, DateOfBirthWidget)
        html = str(form["birth_date"])
    assert 'type="date"' not in html  # no native picker that opens at today
    for part, value, autocomplete in [
        ("0", "1942", "bday-year"),
        ("1", "3", "bday-month"),
        ("2", "8", "bday-day"),
    ]:
        assert f'id="id_birth_date_{part}"' in html
        assert f'for="id_birth_date_{part}"' in html  # each box has its own label
        assert f'autocomplete="{autocomplete}"' in html
        assert f'value="{value}"' in html
    assert html.count('inputmode="numeric"') == 3
    assert form["birth_date"].id_for_label == "id_birth_date_0"  # the error summary's link lands on the year


def test_a_bad_part_is_an_error_next_to_the_field_of_the_form():
    with translation.override("en"):
        form = DependentForm(
            {
                "kind": "child",
                "name": "王小明",
                "birth_date_year": "2023",
                "birth_date_month": "2",
                "birth_date_day": "30",
            }
        )
        assert not form.is_valid()
        assert form.errors["birth_date"] == ["Month 2 has no day 30."]
        html = str(form["birth_date"])
    assert 'aria-invalid="true"' in html and "is-invalid" in html
