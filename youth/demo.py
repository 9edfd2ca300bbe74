"""The youth area of the demo community (called by ``manage.py seed_demo`` after the community, the events
demo and the elders demo exist).

From the story (see /work/shared/story): the community's 新时代文明实践站 runs the holiday services with a
"school + family + community + volunteer" model (学校+家庭+社区+志愿者): the partner school 开发区实验小学, the
families, the community and college-student volunteers (南通大学青年志愿者协会). Since last year it ran 15
holiday classes (暑期公益班: classical reading, painting, crafts...), 8 parenting lectures (家庭教育讲座) and
the summer day-care (暑托班), together 600+ child service instances; and 朱晓燕 of 炜建花苑 is already asking
about this summer's early-bird places (早鸟票).

What is written:

* partners: the college volunteer group with five student volunteers, and the day-care teacher's account
  (partner staff of the 实践站, ``TEACHER``);
* children: the guardians' consent to keeping a child's information (recorded at the desk from the paper
  form, for children under 14), a profile (school, grade) for every child aged 3 to 17, standing pickup
  persons (grandparents) for about half of them, and one-day passes on days of last summer;
* last summer's day-care: a programme of ``SUMMER_WEEKS`` weeks, each week an events activity with its
  daily sessions, 40 to 60 children booked a week (siblings in one booking, a waitlist past the places), a
  sign-in and a sign-out every day a child came with the pickup attempt naming who collected her, ONE
  refused pickup (a stranger at the door, recorded; the guardian's inbox has the message), and the student
  volunteers' shifts;
* last summer's 15 holiday classes (courses of three sessions, about 600 child service instances as in the story, attendance per child per session);
* 8 parenting lectures for guardians, between last summer and today, attended by guardians;
* this summer's programme with its early window (for 双职工家庭, dual-worker families) still ahead;
* the coming winter day-care (寒托班), open for booking now (a few booked through the engine's service).

Dates are relative to ``today``. Deterministic: each step draws from its own ``random.Random``, over people
read in primary-key order, never from what is already in the database. Idempotent: each step has a marker
(a programme, a class or a lecture by its title; a child's profile, consent or pickup persons only where
missing), so a second run writes nothing. Past rows are written in bulk with the ORM (the services rightly
refuse to back-date a booking, a sign-in or a sign-out); bookings open now go through the engine.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from dataclasses import dataclass

from auditlog.context import disable_auditlog
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from events.models import (
    Activity,
    ActivityStatus,
    AllocationMode,
    Area,
    Booking,
    CapacityUnit,
    CheckIn,
    CheckInMethod,
    CheckOut,
    EarlyWindowFor,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Session,
    Shift,
    ShiftSignup,
    TargetGroup,
)
from events.services import pools_recount
from portal.accounts.models import Role, User
from portal.community.models import (
    Consent,
    ConsentPurpose,
    Gender,
    Organization,
    OrganizationKind,
    Person,
    Relation,
    RelationKind,
)
from portal.notify.models import Channel, Message, MessageStatus

from .models import (
    Audience,
    ChildProfile,
    DaycareProgramme,
    DaycareWeek,
    Grade,
    PickupAttempt,
    PickupOutcome,
    PickupPerson,
    PickupRelation,
    ProgrammeKind,
    Subject,
    YouthActivity,
)

SEED = 20260304  # the story's day at the 新时代文明实践站
DEMO_PASSWORD = "zhaoxi-demo-2026"  # noqa: S105 - the published demo password (seed_demo prints it)
ORGANISER = "永兴社区新时代文明实践站"
SCHOOL = "开发区实验小学"
PLACE = "永兴社区新时代文明实践站"
VOLUNTEER_GROUP = (
    "南通大学青年志愿者协会",
    "季同学",
    "+8613800000107",
    "大学生志愿者利用寒暑假到社区暑托班当助教，开展科学小实验、绘画和体育游戏。",
)
#: Student volunteers of the group: name, gender, age.
STUDENTS = [
    ("季思琪", "F", 20),
    ("陈昊天", "M", 21),
    ("顾欣然", "F", 19),
    ("施宇航", "M", 20),
    ("王梓萱", "F", 21),
]
#: The day-care teacher (带班老师): partner staff of the 实践站, a demo account (README "Demo accounts").
TEACHER = ("+8613800000008", "陆晓雯")
DUAL_WORKER = ("dual-worker-families", "双职工家庭")

SUMMER_WEEKS = 5
SUMMER_CAPACITY = 50
DAY_STARTS = datetime.time(8, 0)
DAY_ENDS = datetime.time(17, 30)
DAYCARE_AGES = (6, 12)

#: The 15 holiday classes of last summer: title, subject, audience, partner ("school", "volunteers", ""),
#: ages, capacity.
CLASSES = [
    ("国学诵读·小古文阅读（一期）", Subject.CLASSICS, Audience.CHILDREN, "school", (7, 12), 20),
    ("国学诵读·《三字经》诵读（二期）", Subject.CLASSICS, Audience.CHILDREN, "school", (6, 10), 20),
    ("国学诵读·唐诗吟诵（三期）", Subject.CLASSICS, Audience.CHILDREN, "school", (7, 12), 20),
    ("少儿绘画·水彩花鸟", Subject.PAINTING, Audience.CHILDREN, "volunteers", (6, 12), 18),
    ("少儿绘画·创意水墨", Subject.PAINTING, Audience.CHILDREN, "", (7, 12), 18),
    ("少儿绘画·漫画入门", Subject.PAINTING, Audience.CHILDREN, "volunteers", (8, 14), 18),
    ("手工·剪纸（非遗进社区）", Subject.CRAFTS, Audience.CHILDREN, "", (7, 12), 16),
    ("手工·超轻黏土捏塑", Subject.CRAFTS, Audience.CHILDREN, "", (4, 9), 16),
    ("手工·亲子竹编小制作", Subject.CRAFTS, Audience.PARENT_CHILD, "", (5, 10), 12),
    ("科学小实验·水的秘密", Subject.SCIENCE, Audience.CHILDREN, "volunteers", (7, 12), 20),
    ("科学小实验·趣味电路", Subject.SCIENCE, Audience.CHILDREN, "volunteers", (9, 14), 16),
    ("绘本阅读·亲子共读", Subject.READING, Audience.PARENT_CHILD, "school", (3, 8), 12),
    ("整本书阅读·《西游记》", Subject.READING, Audience.CHILDREN, "school", (9, 14), 20),
    ("体育游戏·跳绳踢毽", Subject.SPORTS, Audience.CHILDREN, "volunteers", (6, 12), 24),
    ("兄弟姐妹一起来·团队拓展", Subject.SPORTS, Audience.SIBLINGS, "volunteers", (5, 14), 24),
]
#: The 8 parenting lectures (家庭教育讲座): title, speaker.
LECTURES = [
    ("家庭教育讲座·如何陪孩子过一个充实的暑假", "开发区实验小学 蒋老师"),
    ("家庭教育讲座·防溺水与居家安全", "中兴街道派出所 社区民警 顾警官"),
    ("家庭教育讲座·读懂孩子的情绪", "心理咨询师 葛丽"),
    ("家庭教育讲座·《家庭教育促进法》与家长的责任", "南通大学教育科学学院 吴敏教授"),
    ("家庭教育讲座·幼小衔接，家长可以做什么", "开发区实验小学 蒋老师"),
    ("家庭教育讲座·青春期孩子的沟通之道", "心理咨询师 葛丽"),
    ("家庭教育讲座·让孩子远离手机依赖", "南通大学教育科学学院 吴敏教授"),
    ("家庭教育讲座·隔代教养：祖辈与父母如何配合", "社区家庭教育指导师 樊淑淑"),
]
LECTURE_PLACE = "永兴社区党群服务中心 多功能厅"
GRANDPARENT_NAMES = {
    PickupRelation.GRANDMOTHER_PATERNAL: ["秀兰", "桂英", "凤英", "玉珍", "素芬"],
    PickupRelation.GRANDFATHER_PATERNAL: ["建国", "德明", "长林", "福生", "振华"],
    PickupRelation.GRANDMOTHER_MATERNAL: ["桂兰", "淑珍", "兰英", "美华", "惠芳"],
    PickupRelation.GRANDFATHER_MATERNAL: ["国强", "志明", "永昌", "金林", "宝根"],
}
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
ONE_DAY_RELATIONS = [
    (PickupRelation.AUNT_UNCLE, "小姨"),
    (PickupRelation.AUNT_UNCLE, "舅舅"),
    (PickupRelation.NEIGHBOUR, "邻居"),
    (PickupRelation.NANNY, "阿姨"),
]
#: The refused pickup: who came, and why she was refused.
REFUSED = ("张阿姨", "说是邻居", "来人不在孩子的授权接送名单上，已拒绝并电话通知家长，孩子由妈妈接回。")


def _at(day: datetime.date, t: datetime.time | float) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    if isinstance(t, datetime.time):
        return datetime.datetime.combine(day, t, tzinfo=tz)
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=tz) + datetime.timedelta(hours=t)


def _monday_on_or_after(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


def summer_start(year: int) -> datetime.date:
    """The first day of a summer's day-care: the first Monday on or after 6 July (schools close early July)."""
    return _monday_on_or_after(datetime.date(year, 7, 6))


def summer_end(year: int) -> datetime.date:
    return summer_start(year) + datetime.timedelta(days=7 * SUMMER_WEEKS - 3)  # a Friday


def last_summer_year(today: datetime.date) -> int:
    """The year of the last summer day-care that is over by ``today``."""
    return today.year if summer_end(today.year) < today else today.year - 1


def summer_title(year: int) -> str:
    return f"{year}年永兴社区爱心暑托班"


def winter_title(year: int) -> str:
    return f"{year}年永兴社区寒托班"


def winter_start(today: datetime.date) -> datetime.date:
    """The coming winter day-care: the first Monday on or after 20 January, at least a week ahead."""
    for year in (today.year, today.year + 1):
        start = _monday_on_or_after(datetime.date(year, 1, 20))
        if start > today + datetime.timedelta(days=7):
            return start
    raise AssertionError("unreachable")  # pragma: no cover


def grade_on(birth: datetime.date, day: datetime.date) -> str:
    """The school year of a child born on ``birth`` on ``day`` (a child starts school at 6 by 31 August)."""
    school_year = day.year if day.month >= 9 else day.year - 1
    cutoff = datetime.date(school_year, 8, 31)
    age = cutoff.year - birth.year - ((cutoff.month, cutoff.day) < (birth.month, birth.day))
    grades = list(Grade)
    index = age - 3
    return grades[index].value if 0 <= index < len(grades) else ""


@dataclass
class Family:
    """A household's children (pk order) and their guardians (pk order)."""

    children: list[Person]
    guardians: list[Person]


class _Demo:
    def __init__(self, *, stdout, today: datetime.date):
        self.out = stdout
        self.today = today
        # As in events.demo: today at the real time of day; another day (tests) at nine in the morning.
        self.now = timezone.now() if today == timezone.localdate() else _at(today, 9.0)
        self.staff = User.objects.filter(role=Role.COMMUNITY_STAFF, is_active=True).order_by("pk").first()
        self.organiser = Organization.objects.filter(name=ORGANISER).first()
        self.school = Organization.objects.filter(name=SCHOOL).first()
        self.timings: dict[str, float] = {}
        self.teacher: User | None = None
        self.volunteers_org: Organization | None = None
        self.last_year = last_summer_year(today)
        self._young: list[Person] | None = None
        self._guardians: dict[int, list[Person]] = {}

    def ready(self) -> bool:
        return bool(self.staff and self.organiser and self.school)

    def say(self, text: str) -> None:
        self.out.write(f"  {text}")

    # -- people ---------------------------------------------------------------------------------------
    def everyone_young(self) -> list[Person]:
        """The community's children and young people (with a household and a guardian), in primary-key
        order, with their guardians: read once (``children`` and ``families`` filter them)."""
        if self._young is None:
            guarded = Relation.objects.filter(kind=RelationKind.GUARDIAN).values("relative_id")
            self._young = list(
                Person.objects.active()
                .aged_under(19, on=self.today)
                .filter(household__isnull=False, pk__in=guarded)
                .select_related("user")
                .order_by("pk")
            )
            self._guardians = defaultdict(list)
            rels = (
                Relation.objects.filter(relative__in=[p.pk for p in self._young], kind=RelationKind.GUARDIAN)
                .select_related("subject__user")
                .order_by("relative_id", "subject_id")
            )
            for rel in rels:
                self._guardians[rel.relative_id].append(rel.subject)
        return self._young

    def children(
        self, *, min_age: int = 0, max_age: int = 17, on: datetime.date | None = None
    ) -> list[Person]:
        """The community's children aged ``min_age`` to ``max_age`` on ``on`` (today), in primary-key order."""
        on = on or self.today
        return [p for p in self.everyone_young() if p.birth_date and min_age <= p.age_on(on) <= max_age]

    def guardians_by_child(self, child_ids) -> dict[int, list[Person]]:
        self.everyone_young()
        return {pk: self._guardians.get(pk, []) for pk in child_ids}

    def families(self, children: list[Person]) -> list[Family]:
        guardians = self.guardians_by_child([c.pk for c in children])
        by_household: dict[int, Family] = {}
        for child in children:
            family = by_household.setdefault(child.household_id, Family(children=[], guardians=[]))
            family.children.append(child)
            for g in guardians.get(child.pk, []):
                if g not in family.guardians:
                    family.guardians.append(g)
        return [by_household[k] for k in sorted(by_household)]

    # -- partners ---------------------------------------------------------------------------------------
    def partners(self) -> None:
        name, contact, phone, description = VOLUNTEER_GROUP
        self.volunteers_org, _ = Organization.objects.get_or_create(
            name=name,
            defaults={
                "kind": OrganizationKind.VOLUNTEER_GROUP,
                "contact_name": contact,
                "contact_phone": phone,
                "description": description,
                "address": "南通市崇川区啬园路9号",
            },
        )
        from portal.volunteers.models import VolunteerProfile

        for student, gender, age in STUDENTS:
            person = Person.objects.filter(
                name=student, household__isnull=True, volunteer_profile__isnull=False
            )
            person = person.order_by("pk").first()
            if person is None:
                person = Person.objects.create(
                    name=student,
                    gender=Gender.FEMALE if gender == "F" else Gender.MALE,
                    birth_date=datetime.date(self.today.year - age, 3, 1),
                    created_by=self.staff,
                )
                VolunteerProfile.objects.create(
                    person=person,
                    organization=self.volunteers_org,
                    team="暑托班大学生助教",
                    skills="辅导作业,科学小实验,绘画,体育游戏",
                    since=datetime.date(self.last_year, 6, 20),
                )
        phone, teacher = TEACHER
        user = User.objects.filter(phone=phone).first()
        if user is None:
            user = User.objects.create(
                phone=phone,
                name=teacher,
                role=Role.PARTNER_STAFF,
                organization=self.organiser,
                phone_verified=True,
                password=make_password(DEMO_PASSWORD),
            )
        self.teacher = user
        self._totp(user)

    def _totp(self, user: User) -> None:
        """The demo's staff way in (portal.accounts.demo): the published TOTP secret, if none yet."""
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        from portal.accounts.demo import DEMO_TOTP_SECRET

        if (
            user.can_use_mfa
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            TOTP.activate(user, DEMO_TOTP_SECRET)

    # -- children -----------------------------------------------------------------------------------------
    def children_step(self) -> None:
        """Consents, profiles and pickup persons, each only where missing (drawn for everyone first)."""
        rng = random.Random(f"{SEED}-children")
        kids = self.children(min_age=3)
        ids = [k.pk for k in kids]
        guardians = self.guardians_by_child(ids)
        recorder = self.teacher or self.staff
        consented = set(
            Consent.objects.active()
            .filter(person_id__in=ids, purpose=ConsentPurpose.MINOR)
            .values_list("person_id", flat=True)
        )
        first_day = _at(summer_start(self.last_year) - datetime.timedelta(days=20), 10.0)
        consents = Consent.objects.bulk_create(
            [
                Consent(
                    person=kid,
                    purpose=ConsentPurpose.MINOR,
                    notice_version=settings.PRIVACY_NOTICE_VERSION,
                    given_by=recorder,
                    given_as_guardian=True,
                    recorded_at_desk=True,
                    given_at=first_day,
                )
                for kid in kids
                if kid.pk not in consented and kid.age_on(self.today) < 14
            ]
        )
        have_profile = set(ChildProfile.objects.filter(person_id__in=ids).values_list("person_id", flat=True))
        profiles = []
        for kid in kids:
            grade = grade_on(kid.birth_date, self.today)
            school, other = None, ""
            if grade.startswith("p"):
                if rng.random() < 0.85:
                    school = self.school
                else:
                    other = "中兴街道小学"
            elif grade.startswith("k"):
                other = "开发区实验幼儿园"
            elif grade.startswith("j"):
                other = "南通开发区实验初级中学"
            elif grade.startswith("s"):
                other = "南通市第一中学"
            if kid.pk not in have_profile:
                profiles.append(ChildProfile(person=kid, school=school, school_name=other, grade=grade))
        ChildProfile.objects.bulk_create(profiles)

        have_pickup = set(PickupPerson.objects.filter(child_id__in=ids).values_list("child_id", flat=True))
        elders_at_home = defaultdict(list)
        for elder in (
            Person.objects.active()
            .aged_at_least(60, on=self.today)
            .filter(household_id__in={k.household_id for k in kids})
            .order_by("pk")
        ):
            elders_at_home[elder.household_id].append(elder)
        rows = []
        for kid in kids:
            added_by = next((g.user for g in guardians.get(kid.pk, []) if g.user_id), None) or recorder
            wanted = []
            if kid.name in ("刘子轩", "刘雨桐"):
                # The story's grandmother, one building away, collects them on weekdays (外婆).
                wanted.append(("王秀英", PickupRelation.GRANDMOTHER_MATERNAL))
            elif elders_at_home.get(kid.household_id):
                for elder in elders_at_home[kid.household_id][:2]:
                    male = elder.gender == Gender.MALE
                    rel = PickupRelation.GRANDFATHER_PATERNAL if male else PickupRelation.GRANDMOTHER_PATERNAL
                    wanted.append((elder.name, rel))
            elif rng.random() < 0.45:
                rel = rng.choice(list(GRANDPARENT_NAMES))
                surname = (
                    kid.name[0] if rel in (PickupRelation.GRANDMOTHER_PATERNAL,) else rng.choice(SURNAMES)
                )
                if rel == PickupRelation.GRANDFATHER_PATERNAL:
                    surname = kid.name[0]
                wanted.append((surname + rng.choice(GRANDPARENT_NAMES[rel]), rel))
            phones = [f"+86139{rng.randrange(10**8):08d}" for _ in wanted]
            if kid.pk in have_pickup:
                continue
            rows += [
                PickupPerson(child=kid, name=name, relation=rel, phone=phone, added_by=added_by)
                for (name, rel), phone in zip(wanted, phones, strict=True)
            ]
        PickupPerson.objects.bulk_create(rows)
        self.say(
            f"Children: {len(kids)} aged 3-17 ({len(consents)} consents, {len(profiles)} profiles, "
            f"{len(rows)} pickup persons added now)."
        )

    # -- last summer's day-care -----------------------------------------------------------------------------
    def week_activity(
        self, *, title, first, last, opens, closes, early=None, group=None, capacity=SUMMER_CAPACITY
    ):
        return Activity.objects.create(
            title=title,
            area=Area.YOUTH,
            organiser_org=self.organiser,
            created_by=self.staff,
            status=ActivityStatus.PUBLISHED,
            description=(
                "社区“爱心托班”：上午作业辅导和阅读，下午兴趣课和体育游戏，大学生志愿者当助教。"
                "每天 8:00 起送孩子来，17:30 前接走；只交给家长或家长授权的接送人。"
            ),
            place=PLACE,
            allocation=AllocationMode.FCFS,
            capacity_unit=CapacityUnit.PERSON,
            registration_scope=RegistrationScope.COURSE,
            capacity=capacity,
            min_age=DAYCARE_AGES[0],
            max_age=DAYCARE_AGES[1],
            residents_only=True,
            booking_opens_at=opens,
            booking_closes_at=closes,
            early_opens_at=early,
            early_for=EarlyWindowFor.GROUP if early else "",
            early_group=group if early else None,
            cancel_hours_before=24,
        )

    def programme(
        self, *, title, first, weeks, opens, closes, early=None, group=None, capacity=SUMMER_CAPACITY
    ):
        """A day-care programme: its weeks, each an activity with a session every weekday."""
        last = first + datetime.timedelta(days=7 * weeks - 3)
        programme = DaycareProgramme.objects.create(
            title=title,
            description="暑假（寒假）期间，双职工家庭的孩子白天有人看护：作业辅导、阅读、兴趣课、体育游戏。",
            organiser_org=self.organiser,
            place=PLACE,
            starts_on=first,
            ends_on=last,
            day_starts=DAY_STARTS,
            day_ends=DAY_ENDS,
            min_age=DAYCARE_AGES[0],
            max_age=DAYCARE_AGES[1],
            created_by=self.staff,
        )
        out = []
        sessions = []
        for number in range(1, weeks + 1):
            monday = first + datetime.timedelta(days=7 * (number - 1))
            friday = monday + datetime.timedelta(days=4)
            activity = self.week_activity(
                title=f"{title} 第{number}周",
                first=monday,
                last=friday,
                opens=opens,
                closes=min(closes, _at(friday, DAY_STARTS)),
                early=early,
                group=group,
                capacity=capacity,
            )
            week = DaycareWeek.objects.create(
                programme=programme, activity=activity, number=number, starts_on=monday, ends_on=friday
            )
            out.append(week)
            sessions += [
                Session(
                    activity=activity,
                    starts_at=_at(monday + datetime.timedelta(days=d), DAY_STARTS),
                    ends_at=_at(monday + datetime.timedelta(days=d), DAY_ENDS),
                    capacity=capacity,
                )
                for d in range(5)
            ]
        Session.objects.bulk_create(sessions)
        return programme, out

    def last_summer(self) -> None:
        title = summer_title(self.last_year)
        existing = DaycareProgramme.objects.filter(title=title).first()
        if existing is not None:
            self.report_programme(existing, "already there")
            return
        rng = random.Random(f"{SEED}-summer")
        first = summer_start(self.last_year)
        opens = _at(first - datetime.timedelta(days=21), 9.0)
        group = self.dual_worker_group()
        programme, weeks = self.programme(
            title=title,
            first=first,
            weeks=SUMMER_WEEKS,
            opens=opens,
            closes=_at(first - datetime.timedelta(days=3), 17.0),
            early=opens - datetime.timedelta(days=3),
            group=group,
        )
        pool = self.children(min_age=DAYCARE_AGES[0], max_age=DAYCARE_AGES[1], on=first)
        families = self.families(pool)
        story = next((f for f in families if any(c.name == "刘子轩" for c in f.children)), None)
        others = [f for f in families if f is not story]
        teacher = self.teacher or self.staff
        pickups = defaultdict(list)
        for p in PickupPerson.objects.filter(
            child__in=pool, only_on__isnull=True, revoked_at__isnull=True
        ).order_by("pk"):
            pickups[p.child_id].append(p)

        booked: list[tuple[DaycareWeek, Family]] = []
        for week in weeks:
            wanted = rng.randint(44, 58)
            chosen, n = [], 0
            for family in ([story] if story else []) + rng.sample(others, len(others)):
                if n >= wanted:
                    break
                chosen.append(family)
                n += len(family.children)
            booked += [(week, f) for f in chosen]
        bookings = Booking.objects.bulk_create(
            [
                Booking(
                    activity=week.activity,
                    booked_by=next((g.user for g in f.guardians if g.user_id), None) or teacher,
                    on_behalf=not any(g.user_id for g in f.guardians),
                )
                for week, f in booked
            ]
        )
        regs, seats = [], defaultdict(int)
        for booking, (week, family) in zip(bookings, booked, strict=True):
            for child in family.children:
                seats[week.pk] += 1
                over = seats[week.pk] - SUMMER_CAPACITY
                regs.append(
                    Registration(
                        booking=booking,
                        activity=week.activity,
                        person=child,
                        status=RegistrationStatus.CONFIRMED if over <= 0 else RegistrationStatus.WAITLISTED,
                        queue_no=over if over > 0 else None,
                    )
                )
        regs = Registration.objects.bulk_create(regs, batch_size=1000)
        sessions = defaultdict(list)
        for s in Session.objects.filter(activity__daycare_week__programme=programme).order_by("starts_at"):
            sessions[s.activity_id].append(s)
        guardians = self.guardians_by_child([c.pk for c in pool])
        checkins, checkouts, attempts, passes = [], [], [], []
        refused_done = False
        for reg in regs:
            if reg.status != RegistrationStatus.CONFIRMED:
                continue
            child = reg.person
            for session in sessions[reg.activity_id]:
                if rng.random() >= 0.9 and child.name != "刘子轩":
                    continue
                day = session.local_date
                arrived = _at(day, 7.75 + rng.random())
                left = _at(day, 16.5 + rng.random() * 0.95)
                checkins.append(
                    CheckIn(
                        registration=reg,
                        session=session,
                        checked_in_at=arrived,
                        checked_in_by=teacher,
                        method=CheckInMethod.STAFF_SEARCH,
                    )
                )
                roll = rng.random()
                parents = guardians.get(child.pk, [])
                guardian, pickup = None, None
                if pickups.get(child.pk) and roll < 0.45:
                    pickup = rng.choice(pickups[child.pk])
                elif roll > 0.97:
                    relation, word = rng.choice(ONE_DAY_RELATIONS)
                    pickup = PickupPerson(
                        child=child,
                        name=rng.choice(SURNAMES) + rng.choice(["丽", "敏", "军", "强", "芳", "华"]),
                        relation=relation,
                        phone=f"+86139{rng.randrange(10**8):08d}",
                        only_on=day,
                        added_by=next((g.user for g in parents if g.user_id), None) or teacher,
                    )
                    passes.append(pickup)
                elif parents:
                    guardian = rng.choice(parents)
                name = pickup.name if pickup else (guardian.name if guardian else "")
                relation = (
                    pickup.get_relation_display()
                    if pickup
                    else ("妈妈" if guardian and guardian.gender == Gender.FEMALE else "爸爸")
                )
                if (
                    not refused_done
                    and child.name == "刘子轩"
                    and day.weekday() == 2
                    and session.activity_id == (weeks[1].activity_id)
                ):
                    # The one refused pickup: a stranger at 16:40; mother collects him at 17:10.
                    refused_done = True
                    came, why = REFUSED[0], REFUSED[2]
                    attempts.append(
                        (
                            None,
                            PickupAttempt(
                                session=session,
                                child=child,
                                name=came,
                                relation=REFUSED[1],
                                outcome=PickupOutcome.REFUSED,
                                reason=why,
                                staff=teacher,
                                at=_at(day, 16 + 40 / 60),
                            ),
                        )
                    )
                    mother = next(
                        (g for g in parents if g.gender == Gender.FEMALE), parents[0] if parents else None
                    )
                    guardian, pickup, left = mother, None, _at(day, 17 + 10 / 60)
                    name, relation = (mother.name if mother else ""), "妈妈"
                checkout = CheckOut(
                    registration=reg,
                    session=session,
                    checked_out_at=left,
                    checked_out_by=teacher,
                    released_to=f"{name}（{relation}）",
                )
                checkouts.append(checkout)
                attempts.append(
                    (
                        checkout,
                        PickupAttempt(
                            session=session,
                            child=child,
                            pickup_person=pickup,
                            guardian=guardian,
                            name=name,
                            relation=relation,
                            outcome=PickupOutcome.RELEASED,
                            staff=teacher,
                            at=left,
                        ),
                    )
                )
        CheckIn.objects.bulk_create(checkins, batch_size=2000)
        CheckOut.objects.bulk_create(checkouts, batch_size=2000)
        PickupPerson.objects.bulk_create(passes)
        for checkout, attempt in attempts:
            attempt.checkout = checkout
            if attempt.pickup_person is not None:
                attempt.pickup_person_id = attempt.pickup_person.pk
        rows = PickupAttempt.objects.bulk_create([a for _c, a in attempts], batch_size=2000)
        self.refusal_message([a for a in rows if a.outcome == PickupOutcome.REFUSED])
        self.volunteer_shifts(sessions=[s for week in weeks for s in sessions[week.activity_id]], rng=rng)
        self.report_programme(programme, "")

    def refusal_message(self, refused: list[PickupAttempt]) -> None:
        """The guardian was told at once (a safety message): the inbox row of the account holder."""
        for attempt in refused:
            child = attempt.child
            for guardian in self.guardians_by_child([child.pk]).get(child.pk, []):
                if not guardian.user_id:
                    continue
                at = timezone.localtime(attempt.at)
                Message.objects.get_or_create(
                    key=f"youth.demo.pickup_refused:{attempt.pk}:user:{guardian.user_id}:inbox",
                    defaults={
                        "user_id": guardian.user_id,
                        "person": guardian,
                        "channel": Channel.INBOX,
                        "subject": f"接送提醒：有人要接{child.name}，未获授权",
                        "body": (
                            f"{at:%m月%d日 %H:%M}，“{attempt.name}”（{attempt.relation}）到{PLACE}要接{child.name}，"
                            f"此人不在授权接送名单上，工作人员已拒绝交接，{child.name}仍在托班。"
                            "如需授权他人接送，请在“我的孩子”里添加接送人。"
                        ),
                        "status": MessageStatus.SENT,
                        "urgent": True,
                        "sent_at": attempt.at,
                        "read_at": attempt.at + datetime.timedelta(minutes=3),
                    },
                )

    def volunteer_shifts(self, *, sessions: list[Session], rng: random.Random) -> None:
        """Two college-student volunteers help every morning (助教), checked in and out."""
        from portal.volunteers.models import VolunteerProfile

        students = list(
            VolunteerProfile.objects.filter(organization=self.volunteers_org).order_by("pk")
            if self.volunteers_org
            else []
        )
        if not students:
            return
        shifts = Shift.objects.bulk_create(
            [
                Shift(
                    session=s,
                    role="暑托班助教",
                    description="作业辅导、带游戏、午餐和午休看护",
                    slots=2,
                    starts_at=s.starts_at,
                    ends_at=s.starts_at + datetime.timedelta(hours=4),
                )
                for s in sessions
            ]
        )
        signups = []
        for shift in shifts:
            for volunteer in rng.sample(students, 2):
                signups.append(
                    ShiftSignup(
                        shift=shift,
                        volunteer=volunteer,
                        checked_in_at=shift.starts_at - datetime.timedelta(minutes=rng.randint(2, 15)),
                        checked_out_at=shift.ends_at + datetime.timedelta(minutes=rng.randint(0, 20)),
                    )
                )
        ShiftSignup.objects.bulk_create(signups)

    def report_programme(self, programme: DaycareProgramme, note: str) -> None:
        weeks = programme.weeks.count()
        booked = Registration.objects.filter(
            activity__daycare_week__programme=programme, status=RegistrationStatus.CONFIRMED
        ).count()
        days = CheckIn.objects.filter(session__activity__daycare_week__programme=programme).count()
        refused = PickupAttempt.objects.filter(
            session__activity__daycare_week__programme=programme, outcome=PickupOutcome.REFUSED
        ).count()
        extra = f" ({note})" if note else ""
        self.say(
            f"{programme.title}{extra}: {weeks} weeks, {booked} places booked, {days} child-days signed in and out, "
            f"{refused} pickup refused."
        )

    # -- classes and lectures -------------------------------------------------------------------------------
    def youth_activity(self, title: str, *, kind, audience, subject, speaker="", partner=None, **fields):
        existing = Activity.objects.filter(title=title, organiser_org=self.organiser).first()
        if existing is not None:
            return existing, False
        activity = Activity.objects.create(
            title=title,
            area=Area.YOUTH,
            organiser_org=self.organiser,
            created_by=self.staff,
            status=ActivityStatus.PUBLISHED,
            allocation=AllocationMode.FCFS,
            **fields,
        )
        YouthActivity.objects.create(
            activity=activity, kind=kind, audience=audience, subject=subject, speaker=speaker, partner=partner
        )
        return activity, True

    def classes(self) -> None:
        first = summer_start(self.last_year)
        partners = {"school": self.school, "volunteers": self.volunteers_org, "": None}
        made = checked = 0
        for n, (title, subject, audience, partner, (lo, hi), capacity) in enumerate(CLASSES):
            monday = first + datetime.timedelta(days=7 * (n % SUMMER_WEEKS))
            hour = 9.5 if n % 2 == 0 else 14.5
            full_title = f"{self.last_year}暑期公益班·{title}"
            together = audience in (Audience.PARENT_CHILD,)
            activity, created = self.youth_activity(
                full_title,
                kind=ProgrammeKind.CLASS,
                audience=audience,
                subject=subject,
                partner=partners[partner],
                description=f"暑期公益班：{title}，连续四次课。"
                + ("家长陪同孩子一起参加。" if together else ""),
                place=f"{PLACE} 活动室",
                registration_scope=RegistrationScope.COURSE,
                capacity_unit=CapacityUnit.PERSON,
                capacity=capacity * 2 if together else capacity,
                min_age=lo,
                max_age=hi,
                adults_accompany=together,
                residents_only=True,
                booking_opens_at=_at(first - datetime.timedelta(days=14), 9.0),
                booking_closes_at=_at(monday, hour),
            )
            if not created:
                continue
            made += 1
            rng = random.Random(f"{SEED}-class-{n}")
            sessions = Session.objects.bulk_create(
                [
                    Session(
                        activity=activity,
                        starts_at=_at(monday + datetime.timedelta(days=d), hour),
                        ends_at=_at(monday + datetime.timedelta(days=d), hour + 1.5),
                        capacity=capacity,
                    )
                    for d in range(3)
                ]
            )
            families = self.families(self.children(min_age=lo, max_age=hi, on=monday))
            if audience == Audience.SIBLINGS:
                families = [f for f in families if len(f.children) > 1] + [
                    f for f in families if len(f.children) == 1
                ]
            else:
                families = rng.sample(families, len(families))
            groups, seats = [], 0
            for family in families:
                kids = family.children if audience == Audience.SIBLINGS else family.children[:1]
                people = kids + (family.guardians[:1] if together else [])
                if seats + len(kids) > capacity - rng.randint(0, 3):
                    break
                groups.append((family, people))
                seats += len(kids)
            teacher = self.teacher or self.staff
            bookings = Booking.objects.bulk_create(
                [
                    Booking(
                        activity=activity,
                        booked_by=next((g.user for g in f.guardians if g.user_id), None) or teacher,
                        on_behalf=not any(g.user_id for g in f.guardians),
                    )
                    for f, _p in groups
                ]
            )
            regs = Registration.objects.bulk_create(
                [
                    Registration(booking=b, activity=activity, person=p, status=RegistrationStatus.CONFIRMED)
                    for b, (_f, people) in zip(bookings, groups, strict=True)
                    for p in people
                ]
            )
            rows = [
                CheckIn(
                    registration=reg,
                    session=session,
                    checked_in_at=session.starts_at - datetime.timedelta(minutes=rng.randint(0, 15)),
                    checked_in_by=teacher,
                    method=CheckInMethod.STAFF_SEARCH,
                )
                for session in sessions
                for reg in regs
                if rng.random() < 0.88
            ]
            CheckIn.objects.bulk_create(rows)
            checked += len(rows)
        total = YouthActivity.objects.filter(kind=ProgrammeKind.CLASS, activity__organiser_org=self.organiser)
        self.say(f"Holiday classes: {total.count()} ({made} made now, {checked} check-ins).")

    def lectures(self) -> None:
        """8 lectures between the start of last summer and a week ago, on Saturday mornings."""
        first = summer_start(self.last_year) + datetime.timedelta(days=5)  # the first Saturday
        last = self.today - datetime.timedelta(days=7)
        span = max((last - first).days, 7 * len(LECTURES))
        guardians_pool = None
        made = checked = 0
        for n, (title, speaker) in enumerate(LECTURES):
            day = first + datetime.timedelta(days=span * n // (len(LECTURES) - 1) if n else 0)
            day -= datetime.timedelta(days=(day.weekday() - 5) % 7)  # the Saturday on or before
            day = max(day, first)
            activity, created = self.youth_activity(
                title,
                kind=ProgrammeKind.LECTURE,
                audience=Audience.GUARDIANS,
                subject=Subject.PARENTING,
                speaker=speaker,
                partner=self.school if "实验小学" in speaker else None,
                description=f"邀请{speaker}为家长讲授科学的家庭教育理念和方法，欢迎家长和祖辈参加。",
                place=LECTURE_PLACE,
                registration_scope=RegistrationScope.SESSION,
                capacity_unit=CapacityUnit.PERSON,
                min_age=18,
                residents_only=True,
                booking_opens_at=_at(day - datetime.timedelta(days=14), 9.0),
                booking_closes_at=_at(day, 9.0),
            )
            if not created:
                continue
            made += 1
            rng = random.Random(f"{SEED}-lecture-{n}")
            session = Session.objects.create(
                activity=activity, starts_at=_at(day, 9.5), ends_at=_at(day, 11.0), capacity=60
            )
            if guardians_pool is None:
                kids = self.children(max_age=14)
                by_child = self.guardians_by_child([k.pk for k in kids])
                guardians_pool = sorted(
                    {g.pk: g for gs in by_child.values() for g in gs}.values(), key=lambda g: g.pk
                )
            if session.starts_at >= self.now or not guardians_pool:
                continue
            who = rng.sample(guardians_pool, min(len(guardians_pool), rng.randint(22, 38)))
            teacher = self.teacher or self.staff
            bookings = Booking.objects.bulk_create(
                [
                    Booking(
                        activity=activity,
                        session=session,
                        booked_by=g.user or teacher,
                        on_behalf=not g.user_id,
                    )
                    for g in who
                ]
            )
            regs = Registration.objects.bulk_create(
                [
                    Registration(
                        booking=b,
                        activity=activity,
                        session=session,
                        person=g,
                        status=RegistrationStatus.CONFIRMED,
                    )
                    for b, g in zip(bookings, who, strict=True)
                ]
            )
            rows = [
                CheckIn(
                    registration=r,
                    session=session,
                    checked_in_at=session.starts_at - datetime.timedelta(minutes=rng.randint(0, 20)),
                    checked_in_by=teacher,
                    method=CheckInMethod.STAFF_SCAN,
                )
                for r in regs
                if rng.random() < 0.9 or r.person.name == "朱晓燕"
            ]
            CheckIn.objects.bulk_create(rows)
            checked += len(rows)
        total = YouthActivity.objects.filter(
            kind=ProgrammeKind.LECTURE, activity__organiser_org=self.organiser
        )
        self.say(f"Parenting lectures: {total.count()} ({made} made now, {checked} guardians attended).")

    # -- this summer, and the winter day-care open now --------------------------------------------------------
    def dual_worker_group(self) -> TargetGroup:
        """双职工家庭: the children (and guardians) of about a third of the families, 朱晓燕's among them."""
        code, name = DUAL_WORKER
        group, created = TargetGroup.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "description": "父母双方都在职、假期白天无人看护孩子的家庭，凭工作证明登记，托班优先报名。",
            },
        )
        if created:
            families = self.families(self.children(min_age=3, max_age=14))
            chosen = [
                f for i, f in enumerate(families) if i % 3 == 0 or any(c.name == "刘子轩" for c in f.children)
            ]
            group.members.add(*[p for f in chosen for p in (*f.children, *f.guardians)])
        return group

    def this_summer(self) -> None:
        year = self.last_year + 1
        title = summer_title(year)
        existing = DaycareProgramme.objects.filter(title=title).first()
        if existing is not None:
            self.say(f"{title}: already there.")
            return
        first = summer_start(year)
        early = max(_at(datetime.date(year, 5, 20), 9.0), _at(self.today + datetime.timedelta(days=14), 9.0))
        opens = early + datetime.timedelta(days=7)
        closes = max(_at(first - datetime.timedelta(days=3), 17.0), opens + datetime.timedelta(days=1))
        programme, _weeks = self.programme(
            title=title,
            first=first,
            weeks=SUMMER_WEEKS,
            opens=opens,
            closes=closes,
            early=early,
            group=self.dual_worker_group(),
        )
        self.say(
            f"{title}: {SUMMER_WEEKS} weeks from {first}; early booking for {DUAL_WORKER[1]} opens "
            f"{timezone.localtime(early):%Y-%m-%d %H:%M}, for everyone {timezone.localtime(opens):%Y-%m-%d %H:%M}."
        )

    def winter(self) -> None:
        first = winter_start(self.today)
        title = winter_title(first.year)
        existing = DaycareProgramme.objects.filter(title=title).first()
        if existing is not None:
            self.say(f"{title}: already there.")
            return
        opens = min(self.now - datetime.timedelta(days=3), _at(first - datetime.timedelta(days=10), 9.0))
        programme, weeks = self.programme(
            title=title,
            first=first,
            weeks=2,
            opens=opens,
            closes=_at(first - datetime.timedelta(days=3), 17.0),
            capacity=30,
        )
        from events.services import booking_create_on_behalf

        rng = random.Random(f"{SEED}-winter")
        families = self.families(self.children(min_age=DAYCARE_AGES[0], max_age=DAYCARE_AGES[1], on=first))
        families = [f for f in families if not any(c.name in ("刘子轩", "刘雨桐") for c in f.children)]
        booked = 0
        for family in rng.sample(families, min(8, len(families))):
            try:
                booking_create_on_behalf(
                    staff=self.staff, activity=weeks[0].activity, persons=family.children, now=self.now
                )
                booked += len(family.children)
            except (ValidationError, PermissionDenied):
                continue
        self.say(
            f"{title}: 2 weeks from {first}, open for booking now ({booked} children booked for week 1)."
        )


def seed(*, stdout, today: datetime.date | None = None) -> None:
    """Add the youth area to the demo community (see the module's docstring)."""
    today = today or timezone.localdate()
    demo = _Demo(stdout=stdout, today=today)
    if not demo.ready():
        stdout.write("  Youth skipped: the demo community has no staff, 实践站 or partner school yet.")
        return
    stdout.write("Youth:")
    with disable_auditlog():
        for step in (
            demo.partners,
            demo.children_step,
            demo.last_summer,
            demo.classes,
            demo.lectures,
            demo.this_summer,
            demo.winter,
        ):
            start = time.perf_counter()
            with transaction.atomic():
                step()
            demo.timings[step.__name__] = round(time.perf_counter() - start, 2)
    stdout.write(f"  ({', '.join(f'{k} {v} s' for k, v in demo.timings.items())})")
    # The seed writes registrations in bulk: the pools' counters from what it wrote.
    pools_recount()
