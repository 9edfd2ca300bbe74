"""Formula injection: no export of the portal hands a spreadsheet a live formula.

A resident named ``=HYPERLINK("http://evil.example","x")`` (or ``+``, ``-``, ``@``, a tab, a carriage
return first) is exported through the staff roster (.xlsx) and through every format the back office
offers; each file is read back (openpyxl, csv) and no cell starts with a dangerous character and none is a
formula. Numbers stay numbers, negative ones included, and a file exported and imported back keeps its
values.
"""

import csv
import datetime
import io

import pytest
import tablib
from django.conf import settings
from django.contrib import admin
from django.forms import BooleanField
from django.urls import reverse
from django.utils import translation
from import_export.admin import ExportMixin
from openpyxl import load_workbook

from events.services import booking_create_on_behalf
from portal import exports
from portal.accounts.models import Role
from portal.community.models import Household, Person
from tests.accounts.factories import UserFactory
from tests.community.factories import HouseholdFactory, PersonFactory
from tests.events.factories import ActivityFactory, SessionFactory

#: What a resident can type as a name to attack whoever opens the export.
HOSTILE = [
    '=HYPERLINK("http://evil.example","x")',
    "==1+1",
    "+1+1",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    "＝1+1",
    "-",
    "=",
]
DANGEROUS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def assert_safe_cell(value, data_type=None):
    assert data_type != "f", f"formula cell: {value!r}"
    if isinstance(value, str):
        plain_number = value.lstrip("-").replace(".", "", 1).isdigit()
        assert plain_number or not value.startswith(DANGEROUS), f"live cell: {value!r}"


def xlsx_cells(content: bytes):
    ws = load_workbook(io.BytesIO(content)).active
    return [cell for row in ws.iter_rows() for cell in row]


def csv_cells(text: str, delimiter=","):
    return [
        value for row in csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter) for value in row
    ]


# --- the helper ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE)
def test_dangerous_text_is_prefixed_with_a_quote(text):
    assert exports.neutralise(text) == "'" + text
    assert exports.restore(exports.neutralise(text)) == text


@pytest.mark.parametrize(
    "value",
    [-3, 0, 7, -1.5, datetime.date(2026, 1, 2), None, True, "张小明", "****1111", "-3", "-0.25", "'=already"],
)
def test_numbers_dates_and_ordinary_text_are_left_alone(value):
    assert exports.neutralise(value) == value
    assert type(exports.neutralise(value)) is type(value)


def test_xlsx_writer_keeps_numbers_and_writes_text_as_strings():
    content = exports.xlsx_bytes(
        header=["=header", "n"],
        rows=[["=1+1", -3], ["a\x01b", 2.5], ["#N/A", None]],
    )
    ws = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in ws[1]] == ["'=header", "n"]
    assert (ws["A2"].value, ws["A2"].data_type) == ("'=1+1", "s")
    assert (ws["B2"].value, ws["B2"].data_type) == (-3, "n")
    assert ws["A3"].value == "a\ufffdb"  # a control character cannot break the download
    assert ws["B3"].value == 2.5
    assert (ws["A4"].value, ws["A4"].data_type) == ("#N/A", "s")  # text, not an error cell


def test_csv_response_streams_neutralised_rows():
    response = exports.csv_response("名单.csv", ["姓名", "数"], iter([[name, -3] for name in HOSTILE]))
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    cells = csv_cells(text)
    for value in cells:
        assert_safe_cell(value)
    assert cells.count("-3") == len(HOSTILE)  # a negative number is not a formula


# --- the staff roster (.xlsx) -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_roster_export_has_no_live_formula(client):
    staff = UserFactory(role=Role.COMMUNITY_STAFF)
    activity = ActivityFactory(organiser_user=staff, title="=cmd|' /C calc'!A0")
    session = SessionFactory(activity=activity, capacity=len(HOSTILE) + 5)
    home = HouseholdFactory(notes="-1+1")
    people = [PersonFactory(name=name, household=home) for name in HOSTILE]
    booking_create_on_behalf(staff=staff, activity=activity, session=session, persons=people)
    client.force_login(staff)

    response = client.get(reverse("events:roster_export", args=[session.pk]))

    assert response.status_code == 200
    cells = xlsx_cells(b"".join(response.streaming_content))
    for cell in cells:
        assert_safe_cell(cell.value, cell.data_type)
    names = {cell.value for cell in cells if cell.column == 2}
    assert {"'" + name.replace("\r", "\n") for name in HOSTILE} <= {n.replace("\r", "\n") for n in names if n}
    numbers = [cell.value for cell in cells if cell.column == 1 and cell.row > 1]
    assert numbers == list(range(1, len(HOSTILE) + 1))  # the row numbers stay numbers


# --- the back office (django-import-export) ---------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    """A superuser of the back office (the factory turns on her two-factor sign-in where it is needed)."""
    client.force_login(UserFactory(is_superuser=True, is_staff=True, role=Role.COMMUNITY_STAFF))
    return client


def _export(admin_client, model: str, fmt_index: int) -> bytes:
    url = reverse(f"admin:community_{model}_export")
    form = admin_client.get(url).context["form"]
    data = {name: "on" for name, field in form.fields.items() if isinstance(field, BooleanField)}
    data.update({"format": str(fmt_index), "resource": "0"})
    response = admin_client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Disposition"].startswith("attachment")
    return response.content


def _offered_formats():
    return list(enumerate(settings.IMPORT_EXPORT_FORMATS))


@pytest.mark.django_db
@pytest.mark.parametrize(("index", "fmt"), _offered_formats(), ids=lambda v: getattr(v, "__name__", str(v)))
@pytest.mark.parametrize("model", ["person", "household"])
def test_every_back_office_export_format_has_no_live_formula(admin_client, index, fmt, model):
    home = HouseholdFactory(unit="@1", room="+502", notes='=HYPERLINK("http://evil.example","x")')
    for name in HOSTILE:
        PersonFactory(name=name, household=home)

    content = _export(admin_client, model, index)

    if fmt().is_binary():
        cells = xlsx_cells(content)
        for cell in cells:
            assert_safe_cell(cell.value, cell.data_type)
        values = [c.value for c in cells]
        if model == "household":
            ids = [c.value for c in cells if c.column == 1 and c.row > 1]
            assert ids == [home.pk]  # numbers stay numbers in Excel
    else:
        text = content.decode("utf-8-sig")
        values = csv_cells(text, delimiter="\t" if fmt().get_extension() == "tsv" else ",")
        for value in values:
            assert_safe_cell(value)
    expected = (
        ["'@1", "'+502"]
        if model == "household"
        else ["'" + HOSTILE[0], "'==1+1", "'@SUM(1+1)*cmd|' /C calc'!A0"]
    )
    assert set(expected) <= set(values)


def test_the_back_office_offers_only_neutralising_formats():
    assert settings.IMPORT_EXPORT_FORMATS
    assert all(fmt.__module__ == "portal.exports" for fmt in settings.IMPORT_EXPORT_FORMATS)
    assert settings.IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT is False


def test_every_admin_with_an_export_uses_the_portal_formats(rf):
    """A back-office page that exports (today's or a service area's future one) gets the platform's formats."""
    exporting = [ma for ma in admin.site._registry.values() if isinstance(ma, ExportMixin)]
    assert exporting, "expected the registry's import/export admins"
    for model_admin in exporting:
        formats = model_admin.get_export_formats()
        assert formats and all(fmt.__module__ == "portal.exports" for fmt in formats), model_admin


@pytest.mark.parametrize("fmt", list(settings.IMPORT_EXPORT_FORMATS), ids=lambda f: f.__name__)
def test_an_exported_file_imports_back_with_its_values(fmt):
    data = tablib.Dataset(headers=["name", "n"])
    for name in HOSTILE:
        data.append([name, -3])
    exported = fmt().export_data(data)
    back = fmt().create_dataset(exported)
    assert [row[0].replace("\r", "\n") for row in back] == [n.replace("\r", "\n") for n in HOSTILE]


@pytest.mark.django_db
@pytest.mark.parametrize(("index", "fmt"), _offered_formats(), ids=lambda v: getattr(v, "__name__", str(v)))
def test_an_exported_person_list_imports_back_unchanged(admin_client, index, fmt):
    """The 台账 round trip: export the people, import the same file: names and phones as they were."""
    from portal.community.admin import PersonResource

    person = PersonFactory(name="=1+1", household=HouseholdFactory(), phone="+8613912345678")
    content = _export(admin_client, "person", index)
    dataset = fmt().create_dataset(content if fmt().is_binary() else content.decode("utf-8-sig"))
    with translation.override("zh-hans"):  # the headers are in the staff member's language (portal.admin)
        name, phone = (str(PersonResource().fields[key].column_name) for key in ("name", "phone"))
    assert (dataset.dict[0][name], dataset.dict[0][phone]) == ("=1+1", "+8613912345678")
    result = PersonResource().import_data(dataset, dry_run=False, raise_errors=True)
    assert not result.has_errors() and not result.has_validation_errors()
    person.refresh_from_db()
    assert (person.name, person.phone.as_e164) == ("=1+1", "+8613912345678")
    assert Person.objects.count() == 1 and Household.objects.count() == 1
