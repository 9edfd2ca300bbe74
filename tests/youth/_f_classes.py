"""Factories of the classes-and-lectures piece: classes and lectures made through the real service."""

from __future__ import annotations

import datetime

from django.utils import timezone

from portal.accounts.models import Role
from tests.accounts.factories import UserFactory
from youth.models import Audience, ProgrammeKind, Subject
from youth.services.classes import youth_activity_create


def staff(**kw):
    kw.setdefault("role", Role.COMMUNITY_STAFF)
    return UserFactory(**kw)


def make_class(
    *,
    actor=None,
    audience=Audience.CHILDREN,
    kind=ProgrammeKind.CLASS,
    title="暑期国学诵读班",
    min_age=6,
    max_age=12,
    capacity=20,
    count=5,
    days_ahead=12,
    partner=None,
    subject=Subject.CLASSICS,
    **data,
):
    """A published class (a course of ``count`` weekday meetings from ``days_ahead`` days on, 09:00-10:30),
    booking open now, through ``youth_activity_create``."""
    actor = actor or staff()
    now = timezone.now()
    first = timezone.localdate() + datetime.timedelta(days=days_ahead)
    values = {
        "title": title,
        "place": "永兴社区党群服务中心二楼",
        "status": "published",
        "min_age": min_age,
        "max_age": max_age,
        "capacity": capacity,
        "booking_opens_at": now - datetime.timedelta(days=1),
        "booking_closes_at": now + datetime.timedelta(days=days_ahead - 1),
        **data,
    }
    return youth_activity_create(
        actor=actor,
        kind=kind,
        audience=audience,
        subject=subject if kind == ProgrammeKind.CLASS else Subject.PARENTING,
        speaker="南通大学 李老师",
        partner=partner,
        data=values,
        first=first,
        weekdays=[0, 1, 2, 3, 4],
        count=count,
        start_time=datetime.time(9, 0),
        end_time=datetime.time(10, 30),
    )


def make_lecture(**kw):
    kw.setdefault("title", "家庭教育讲座：陪伴孩子度过暑假")
    return make_class(
        kind=ProgrammeKind.LECTURE, audience=Audience.GUARDIANS, min_age=None, max_age=None, count=1, **kw
    )
