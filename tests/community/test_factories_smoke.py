import pytest

from tests.community.factories import PersonFactory


@pytest.mark.django_db
def test_person_gets_pinyin_search_keys():
    p = PersonFactory(name="张三")
    assert (p.name_pinyin, p.name_initials) == ("zhangsan", "zs")
