"""The workbench search by phone digits: the rule of ``portal.community.selectors.phone_digits_q``.

Partner staff (who serve people but do not need their numbers) find by exactly the last 4 digits and see
only those 4 in the results; community staff, and a grid worker in her grid, search by more and see the
whole number.
"""

from django.urls import reverse

from portal.community import selectors


def _search(client, user, q):
    client.force_login(user)
    response = client.get(reverse("community:workbench"), {"q": q})
    assert response.status_code == 200
    return response


def _rows(response):
    return [(p.name, p.phone_shown) for p in response.context["page"]]


def test_partner_staff_find_by_the_last_four_digits_and_see_only_those(client, world):
    # 张三 (+8613600003333) is served by the partner's organisation
    assert _rows(_search(client, world.partner, "3333")) == [("张三", "****3333")]
    body = _search(client, world.partner, "3333").content.decode()
    assert "13600003333" not in body
    for longer in ("03333", "00003333", "13600003333"):
        assert _rows(_search(client, world.partner, longer)) == [], longer


def test_staff_and_her_grids_worker_search_by_more_digits(client, world):
    assert _rows(_search(client, world.staff, "13600003333")) == [("张三", "136 0000 3333")]
    assert _rows(_search(client, world.grid2_worker, "00003333")) == [("张三", "136 0000 3333")]
    # 张伟 lives in grid 1: the grid-2 worker does not see him at all; the grid-1 worker by any tail
    assert _rows(_search(client, world.grid1_worker, "00002222")) == [("张伟", "137 0000 2222")]


def test_people_search_for_roles_without_need_matches_only_four_digits(world):
    assert list(selectors.people_search(viewer=world.partner, q="3333")) == [world.stranger]
    assert list(selectors.people_search(viewer=world.partner, q="03333")) == []


def test_the_workbench_limit_is_shown_at_the_search_field(client, settings, world):
    settings.PHONE_SEARCH_RATE_LIMIT = "2/10m/user"
    _search(client, world.partner, "3333")
    _search(client, world.partner, "4444")
    response = _search(client, world.partner, "5555")
    assert _rows(response) == []
    assert "按手机号查找的次数过多" in " ".join(response.context["form"].errors["q"])
    # community staff have no such limit
    for q in ("1111", "2222", "3333"):
        assert "q" not in _search(client, world.staff, q).context["form"].errors
