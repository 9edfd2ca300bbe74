"""``portal.forms_render``: the filter fields of the list pages written in Python are the markup crispy
renders for the same bound field, and anything beyond the simple case goes through crispy itself."""

import pytest
from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field
from django import forms
from django.test import SimpleTestCase

from portal.forms_render import crispy_field, crispy_fields


class Filters(forms.Form):
    q = forms.CharField(label="姓名或电话", required=False, max_length=50, help_text="可输入拼音")
    band = forms.ChoiceField(
        label="年龄段", required=False, choices=[("", "全部"), ("80", "80岁以上"), ("<x>", "a&b")]
    )
    needed = forms.CharField(label="必填", max_length=5)
    password = forms.CharField(
        label="密码", widget=forms.PasswordInput, help_text="<a href='/x/'>忘记密码？</a>"
    )
    email = forms.EmailField(label="电子邮件", required=False)
    choice = forms.ChoiceField(label="必选", choices=[("a", "甲"), ("b", "乙")])
    remember = forms.BooleanField(label="保持登录", required=False)
    agree = forms.BooleanField(label="我同意", help_text="必须勾选")
    # Selects written from their choices: numbers for values, a required one whose first option is empty
    # (the required attribute), a disabled one, and groups (those take Django's way).
    number = forms.TypedChoiceField(label="数字", coerce=int, required=False, choices=[(1, "一"), (2, "二")])
    pick = forms.ChoiceField(label="请选", choices=[("", "请选择"), ("a", "甲"), ("a", "重复的甲")])
    fixed = forms.ChoiceField(label="固定", required=False, disabled=True, choices=[("x", "X"), ("y", "Y")])
    grouped = forms.ChoiceField(
        label="分组", required=False, choices=[("", "全部"), ("老人", [("80", "80+"), ("90", "90+")])]
    )


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"q": "王", "band": "80"},
        {"q": '"><script>', "band": "<x>"},
        {"q": "x" * 60, "needed": "toolong"},
        {
            "needed": "ok",
            "password": "secret",
            "email": "a@b.cn",
            "choice": "b",
            "remember": "on",
            "agree": "on",
        },
        {"email": "not an address", "choice": "z"},
        {"number": "2", "pick": "a", "grouped": "90", "fixed": "y"},
    ],
)
def test_each_field_is_the_markup_crispy_writes(data):
    form = Filters(data)
    if data is not None:
        form.is_valid()
    for name in form.fields:
        SimpleTestCase().assertHTMLEqual(
            str(crispy_field(form[name])),
            str(as_crispy_field(Filters(data)[name]) if data is None else _crispy(data, name)),
        )


def _crispy(data, name):
    form = Filters(data)
    form.is_valid()
    return as_crispy_field(form[name])


def test_crispy_fields_gives_every_field_by_name():
    assert set(crispy_fields(Filters())) == {
        "q",
        "band",
        "needed",
        "password",
        "email",
        "choice",
        "remember",
        "agree",
        "number",
        "pick",
        "fixed",
        "grouped",
    }


def test_values_are_escaped():
    html = str(crispy_field(Filters({"q": '"><script>'})["q"]))
    assert "<script>" not in html and "&quot;&gt;&lt;script&gt;" in html


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["account_login", "account_signup"])
def test_the_sign_in_and_sign_up_fields_are_the_markup_crispy_writes(client, url, settings):
    """allauth's forms go through templates/allauth/elements/fields.html: the page has the same fields as
    crispy writes them, field by field, on a blank form and on one sent back with errors."""
    from django.urls import reverse

    for response in (client.get(reverse(url)), client.post(reverse(url), {"login": "", "phone": "12"})):
        form = response.context["form"]
        page = response.content.decode()
        for bound in form:
            expected = str(as_crispy_field(bound)).strip()
            SimpleTestCase().assertInHTML(expected, page, count=1)
