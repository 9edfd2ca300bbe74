"""``portal.fields.IdsChoiceField``: an id too big for an id column is not one of the choices (the field's
translated error), on every database; ids that fit are looked up as Django does."""

import pytest
from django import forms
from django.utils import translation

from portal.community.models import Person
from portal.fields import ID_MAX, IdsChoiceField
from tests.community.factories import PersonFactory

pytestmark = pytest.mark.django_db


class PeopleForm(forms.Form):
    people = IdsChoiceField(queryset=Person.objects.all(), required=False)


@pytest.mark.parametrize("posted", [str(ID_MAX + 1), "9" * 25, str(-(ID_MAX + 1))])
def test_an_id_beyond_a_bigint_is_a_field_error_not_a_failed_query(posted):
    kept = PersonFactory()
    with translation.override("zh-hans"):
        form = PeopleForm({"people": [str(kept.pk), posted]})
        assert not form.is_valid()
        (message,) = form.errors["people"]
        assert message.startswith("选择一个有效的选项") and f"{posted[:20]} 不在可用的选项中" in message


def test_ids_that_fit_are_looked_up_as_django_does():
    a, b = PersonFactory(), PersonFactory()
    form = PeopleForm({"people": [str(a.pk), str(b.pk)]})
    assert form.is_valid()
    assert set(form.cleaned_data["people"]) == {a, b}
    assert not PeopleForm({"people": [str(ID_MAX)]}).is_valid()  # fits, but no such person
    assert "people" in PeopleForm({"people": ["x"]}).errors
