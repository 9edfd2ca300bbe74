"""Who sees whom: each role, and the cases where nothing may leak."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404

from portal.accounts.models import Role
from portal.community import selectors
from portal.community.models import AccessLog
from tests.community.factories import SensitiveProfileFactory, UserFactory


def names(qs):
    return set(qs.values_list("name", flat=True))


def test_community_staff_sees_everyone(world):
    assert names(selectors.people_visible_to(viewer=world.staff)) == {
        "朱晓燕",
        "张伟",
        "张小明",
        "李秀英",
        "赵敏",
        "张三",
    }


def test_grid_worker_sees_only_her_grid(world):
    visible = names(selectors.people_visible_to(viewer=world.grid1_worker))
    assert visible == {"朱晓燕", "张伟", "张小明", "李秀英", "赵敏"}
    assert "张三" not in visible


def test_grid_worker_of_other_grid_gets_404(world):
    with pytest.raises(Http404):
        selectors.person_get_for(viewer=world.grid2_worker, person_id=world.mum.pk)
    assert names(selectors.people_visible_to(viewer=world.grid2_worker)) == {"张三"}


def test_partner_staff_sees_only_people_her_organisation_serves(world):
    assert names(selectors.people_visible_to(viewer=world.partner)) == {"张三"}
    with pytest.raises(Http404):
        selectors.person_get_for(viewer=world.partner, person_id=world.neighbour.pk)


def test_partner_staff_served_by_two_organisations_listed_once(world):
    from tests.community.factories import OrganizationFactory

    world.stranger.served_by.add(OrganizationFactory(name="卫生服务中心"))
    assert selectors.people_visible_to(viewer=world.partner).count() == 1


def test_resident_sees_herself_dependents_and_household(world):
    visible = names(selectors.people_visible_to(viewer=world.mum_user))
    # her husband and son live with her; her mother lives next door but she is her carer
    assert visible == {"朱晓燕", "张伟", "张小明", "李秀英"}


def test_resident_other_household_is_404(world):
    with pytest.raises(Http404):
        selectors.person_get_for(viewer=world.mum_user, person_id=world.neighbour.pk)
    with pytest.raises(Http404):
        selectors.person_get_for(viewer=world.mum_user, person_id=world.stranger.pk)


def test_resident_may_act_for_dependents_but_not_household_members(world):
    actable = names(selectors.people_actable_by(actor=world.mum_user))
    assert actable == {"朱晓燕", "张小明", "李秀英"}
    with pytest.raises(Http404):
        selectors.person_actable_get(actor=world.mum_user, person_id=world.husband.pk)


def test_user_without_a_person_sees_nobody(world):
    assert not selectors.people_visible_to(viewer=world.other_resident_user).exists()


def test_inactive_staff_sees_nobody(world):
    world.staff.is_active = False
    world.staff.save()
    assert not selectors.people_visible_to(viewer=world.staff).exists()


def test_volunteer_role_is_scoped_like_a_resident(world):
    world.mum_user.role = Role.VOLUNTEER
    world.mum_user.save()
    assert "赵敏" not in names(selectors.people_visible_to(viewer=world.mum_user))


# --- sensitive profile -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["staff", "grid1_worker", "mum_user"])
def test_sensitive_profile_shown_to_those_who_need_it_and_logged(world, who):
    SensitiveProfileFactory(person=world.granny, health_conditions="糖尿病")
    viewer = getattr(world, who)
    profile = selectors.sensitive_profile_for(viewer=viewer, person=world.granny, where="test", ip="10.0.0.1")
    assert profile.health_conditions == "糖尿病"
    log = AccessLog.objects.get()
    assert (log.user, log.person, log.reason, log.ip_address) == (viewer, world.granny, "test", "10.0.0.1")
    assert "health_conditions" in log.fields


def test_one_profile_is_logged_and_read_in_one_statement_on_postgresql(world, django_assert_num_queries):
    """For community staff (no query to decide) the row and the read: one statement on PostgreSQL, the
    ORM's insert and get on SQLite; the same row and profile either way, a blank where none is recorded."""
    SensitiveProfileFactory(person=world.granny, health_conditions="糖尿病")
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):
        profile = selectors.sensitive_profile_for(
            viewer=world.staff, person=world.granny, where="t", ip="10.0.0.9"
        )
    assert (profile.pk, profile.person_id, profile.health_conditions) == (
        world.granny.sensitive.pk,
        world.granny.pk,
        "糖尿病",
    )
    blank = selectors.sensitive_profile_for(viewer=world.staff, person=world.son, where="t")
    assert blank.pk is None and blank.person_id == world.son.pk
    logs = list(AccessLog.objects.order_by("pk").values_list("user_id", "person_id", "reason", "ip_address"))
    assert logs == [
        (world.staff.pk, world.granny.pk, "t", "10.0.0.9"),
        (world.staff.pk, world.son.pk, "t", None),
    ]
    assert (
        AccessLog.objects.filter(fields=",".join(selectors.SENSITIVE_FIELDS), at__isnull=False).count() == 2
    )


def test_every_view_is_logged(world):
    SensitiveProfileFactory(person=world.stranger)
    for _ in range(3):
        selectors.sensitive_profile_for(viewer=world.partner, person=world.stranger, where="workbench")
    assert AccessLog.objects.filter(user=world.partner, person=world.stranger).count() == 3


@pytest.mark.parametrize("who", ["grid2_worker", "partner", "other_resident_user"])
def test_sensitive_profile_refused_to_others_and_nothing_logged(world, who):
    SensitiveProfileFactory(person=world.granny)
    with pytest.raises(PermissionDenied):
        selectors.sensitive_profile_for(viewer=getattr(world, who), person=world.granny, where="test")
    assert not AccessLog.objects.exists()


def test_household_member_is_not_shown_sensitive_data(world):
    husband_user = UserFactory(name="张伟2")
    world.husband.user = husband_user
    world.husband.save()
    SensitiveProfileFactory(person=world.mum)
    with pytest.raises(PermissionDenied):
        selectors.sensitive_profile_for(viewer=husband_user, person=world.mum, where="test")


def test_missing_profile_returns_unsaved_blank_and_still_logs(world):
    profile = selectors.sensitive_profile_for(viewer=world.staff, person=world.son, where="test")
    assert profile.pk is None and profile.health_conditions == ""
    assert AccessLog.objects.count() == 1


def test_a_list_logs_one_row_a_person_shown_at_one_moment_and_returns_their_profiles(
    world, django_assert_num_queries
):
    """sensitive_profiles_for: the rows of the people the viewer may see (in id order, one moment, the
    fields, the place and the address), their profiles (an unsaved blank where none is recorded); on
    PostgreSQL written and read in one statement."""
    SensitiveProfileFactory(person=world.granny, health_conditions="糖尿病")
    viewer = world.staff  # may see everyone: no query to decide whom
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 2):  # SQLite: insert, read
        found = selectors.sensitive_profiles_for(
            viewer=viewer, persons=[world.son, world.granny], where="test:list", ip="10.0.0.2"
        )
    assert set(found) == {world.granny.pk, world.son.pk}
    assert found[world.granny.pk].health_conditions == "糖尿病"
    assert found[world.son.pk].pk is None and found[world.son.pk].person_id == world.son.pk
    logs = list(AccessLog.objects.order_by("pk"))
    assert [log.person_id for log in logs] == sorted([world.granny.pk, world.son.pk])
    assert {(log.user_id, log.reason, log.ip_address, log.fields) for log in logs} == {
        (viewer.pk, "test:list", "10.0.0.2", ",".join(selectors.SENSITIVE_FIELDS))
    }
    assert len({log.at for log in logs}) == 1
    # Her grid's worker: the granny and the son, not the stranger (absent, and not logged).
    found = selectors.sensitive_profiles_for(
        viewer=world.grid1_worker, persons=[world.granny, world.son, world.stranger], where="test:grid"
    )
    assert set(found) == {world.granny.pk, world.son.pk}
    assert set(AccessLog.objects.filter(reason="test:grid").values_list("person_id", flat=True)) == set(found)


def test_a_list_without_an_address_logs_none_and_nobody_shown_logs_nothing(world):
    selectors.sensitive_profiles_for(viewer=world.staff, persons=[world.granny], where="test:list")
    assert AccessLog.objects.get().ip_address is None
    assert selectors.sensitive_profiles_for(viewer=world.partner, persons=[world.granny], where="x") == {}
    assert AccessLog.objects.count() == 1


def test_a_logged_view_writes_one_row_a_person_in_the_order_given_in_one_statement(
    world, django_assert_num_queries
):
    """sensitive_access_log (readings kept outside SensitiveProfile): one row a person, repeats once, in
    the order given, at one moment, with the viewer, fields, place and address, in one statement; nobody
    shown writes nothing; the fields are cut to their column's length."""
    people = [world.granny, world.son, world.stranger]
    with django_assert_num_queries(1):
        written = selectors.sensitive_access_log(
            viewer=world.staff,
            persons=people[:2],
            person_ids=[str(world.stranger.pk), world.granny.pk],
            fields="readings",
            where="test:readings",
            ip="10.0.0.3",
        )
    assert written == 3
    logs = list(AccessLog.objects.order_by("pk"))
    assert [log.person_id for log in logs] == [p.pk for p in people]
    assert {(log.user_id, log.fields, log.reason, log.ip_address) for log in logs} == {
        (world.staff.pk, "readings", "test:readings", "10.0.0.3")
    }
    assert len({log.at for log in logs}) == 1 and logs[0].at is not None
    with django_assert_num_queries(0):
        assert selectors.sensitive_access_log(viewer=world.staff, persons=[], fields="x", where="y") == 0
    selectors.sensitive_access_log(viewer=None, person_ids=[world.son.pk], fields="x" * 300, where="w")
    last = AccessLog.objects.latest("pk")
    assert (last.user_id, last.ip_address, len(last.fields)) == (None, None, 200)


# --- claims --------------------------------------------------------------------------------------


def test_pending_claims_scoped_to_grid(world):
    from portal.community import services

    services.household_claim_create(
        user=world.other_resident_user, estate=world.estate2, building_number="7", unit="2", room="301"
    )
    assert selectors.claims_pending_for(viewer=world.staff).count() == 1
    assert selectors.claims_pending_for(viewer=world.grid2_worker).count() == 1
    assert selectors.claims_pending_for(viewer=world.grid1_worker).count() == 0
    assert selectors.claims_pending_for(viewer=world.partner).count() == 0
    assert selectors.claims_pending_for(viewer=world.mum_user).count() == 0


def test_may_act_for_from_the_relations_already_read_answers_as_the_query_does(world):
    """The elder page passes the Relations in which someone acts for her (``acting``): the same answer as
    the query, for herself, her guardian and carer, a household member, a stranger, staff without a
    record, an inactive account and nobody signed in."""
    from django.contrib.auth.models import AnonymousUser

    from portal.community.models import ACTING_RELATIONS, Relation

    inactive = UserFactory(name="停用")
    inactive.is_active = False
    inactive.save()
    actors = [world.mum_user, world.staff, world.other_resident_user, inactive, AnonymousUser()]
    people = [world.mum, world.son, world.granny, world.husband, world.stranger]
    for person in people:
        acting = list(
            Relation.objects.filter(relative=person, kind__in=ACTING_RELATIONS).select_related("subject")
        )
        for actor in actors:
            assert selectors.may_act_for(actor=actor, person=person, acting=acting) == (
                selectors.may_act_for(actor=actor, person=person)
            ), (actor, person)
    assert selectors.may_act_for(actor=world.mum_user, person=world.son, acting=[]) is False
