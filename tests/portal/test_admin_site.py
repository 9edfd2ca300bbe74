"""The back office in the portal's words: its name, Chinese spreadsheet headers that import back, the
icons and /favicon.ico, and the third-party apps named in Chinese.

The Chinese asserted here comes from the merged catalogue (helper admin's po, issue 9)."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib import admin
from django.forms import BooleanField
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from portal.community.admin import PersonResource
from portal.community.models import Person
from portal.exports import FORMATS
from tests.community.factories import HouseholdFactory, PersonFactory


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_the_admin_carries_the_portals_name_in_chinese(staff_client):
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "朝夕 · 永兴社区 管理后台" in html
    assert "<title>后台首页 | 朝夕管理后台</title>" in html
    assert "Django" not in html.split("<body", 1)[1]
    for app_name in ("社区", "活动", "志愿者", "消息通知", "登录锁定", "审计日志"):
        assert app_name in html, app_name
    assert 'rel="icon"' in html and "admin.js" in html


def test_the_admin_speaks_english_to_who_asks(staff_client, settings):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = staff_client.get(reverse("admin:index")).content.decode()
    assert "Zhaoxi · Yongxing Community back office" in html


def _export(client, model: str, fmt_index: int) -> bytes:
    """The export page's form sent as staff send it: every field ticked, one format chosen."""
    url = reverse(f"admin:community_{model}_export")
    form = client.get(url).context["form"]
    data = {name: "on" for name, field in form.fields.items() if isinstance(field, BooleanField)}
    data.update({"format": str(fmt_index), "resource": "0"})
    response = client.post(url, data)
    assert response.status_code == 200, response.content[:500]
    return response.content


@pytest.mark.parametrize("model", ["person", "household"])
def test_back_office_exports_have_chinese_headers(staff_client, model):
    household = HouseholdFactory(building__estate__name="炜建花苑", room="502")
    PersonFactory(name="朱晓燕", household=household, phone="+8613912345678")
    expected = {
        "person": ["ID", "姓名", "性别", "出生日期", "手机号", "住户编号", "地址"],
        "household": ["ID", "小区", "楼号", "楼栋编号", "单元"],
    }[model]
    for index, fmt in enumerate(FORMATS):
        content = _export(staff_client, model, index)
        if fmt().is_binary():
            sheet = load_workbook(io.BytesIO(content), read_only=True).active
            header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        else:
            delimiter = "\t" if fmt().get_extension() == "tsv" else ","
            header = next(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=delimiter))
        assert header[: len(expected)] == expected, (fmt.__name__, header)


def test_a_file_with_chinese_or_english_or_old_headers_imports(db):
    household = HouseholdFactory()
    import tablib

    for headers in (
        ["ID", "姓名", "性别", "出生日期", "手机号", "住户编号"],
        ["ID", "Full name", "Gender", "Date of birth", "Mobile phone", "Household ID"],
        ["id", "name", "gender", "birth_date", "phone", "household_id"],
    ):
        Person.objects.all().delete()
        data = tablib.Dataset(headers=headers)
        data.append(["", "朱晓燕", "F", "1950-03-01", "+8613912345678", household.pk])
        with translation.override("zh-hans"):
            result = PersonResource().import_data(data, dry_run=False, raise_errors=True)
        assert not result.has_errors() and not result.has_validation_errors(), headers
        person = Person.objects.get()
        assert (person.name, person.household_id) == ("朱晓燕", household.pk), headers


def test_every_model_in_the_admin_has_a_chinese_name():
    """App and model names of everything the admin lists (ours and the third-party apps') read Chinese."""
    with translation.override("zh-hans"):
        for model in admin.site._registry:
            opts = model._meta
            for name in (opts.app_config.verbose_name, opts.verbose_name, opts.verbose_name_plural):
                assert any("\u4e00" <= ch <= "\u9fff" for ch in str(name)), (opts.label, str(name))


def test_every_field_of_our_models_has_a_translated_verbose_name():
    from django.apps import apps
    from django.utils.functional import Promise

    ours = ("portal", "events", "elders", "youth", "deliberation", "employment")
    for config in apps.get_app_configs():
        if not config.name.startswith(ours):
            continue
        for model in config.get_models():
            for field in model._meta.get_fields():
                if (field.auto_created and not field.concrete) or field.name == "id":
                    continue
                assert isinstance(field.verbose_name, Promise), (model._meta.label, field.name)
                with translation.override("zh-hans"):
                    text = str(field.verbose_name)
                assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (model._meta.label, field.name, text)


def test_favicon_and_touch_icons(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("/static/img/favicon.ico")
    html = client.get(reverse("home")).content.decode()
    for href in ("img/favicon.svg", "img/favicon-32.png", "img/apple-touch-icon.png", "img/site.webmanifest"):
        assert href in html, href
    from django.contrib.staticfiles import finders
    from PIL import Image

    for name, size in (
        ("img/favicon-32.png", 32),
        ("img/apple-touch-icon.png", 180),
        ("img/icon-192.png", 192),
        ("img/icon-512.png", 512),
    ):
        with Image.open(finders.find(name)) as image:
            assert image.size == (size, size), name
    assert finders.find("img/favicon.ico") and finders.find("img/favicon.svg")


def test_an_admin_form_sent_without_its_token_gets_the_portals_expired_page(admin_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    response = strict.post(reverse("admin:community_grid_add"), {"name": "第九网格"})
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html and 'id="main"' in html and 'rel="icon"' in html
    assert f'href="{reverse("home")}"' in html  # the way back
