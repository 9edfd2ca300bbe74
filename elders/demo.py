"""The elders area of the demo community (called by ``manage.py seed_demo`` after the community and the
events demo exist).

From the story (see /work/shared/story): 南通申丞小海护理院 serves the 82 residents aged 80 and over with
meal delivery, daily-living care, rehabilitation and health management, here with a year of deliveries
(a few missed); the 中兴街道社区卫生服务中心 health station runs free clinics at the community's 便民服务驿站
(blood pressure, blood glucose, consultations: a clinic a month over the past year, 500+ person-visits,
some readings abnormal and a few urgent, each flagged one followed up); smartphone classes teach elders
mobile payment (72-year-old 郭玲 among them) and a tai chi class meets every week; volunteers, party members,
grid workers and younger elders visit and phone the elders who live alone, are widowed (孤寡) or 失能, with a
year of contact logs: some elders overdue, some not reached twice in a row; needs raised on visits, some
handled and closed, some open; birthday greetings asked for by some (a few on the lunar calendar).

Dates are relative to ``today``. Deterministic: every choice comes from ``random.Random`` seeded per step,
over people read in primary-key order, never from what is already in the database. Idempotent: each step
has a marker (the nursing home's plans, the clinic activity, a class by its title, the contact logs); a
step whose marker exists is left alone, so a second run writes nothing.

Rows are written with the ORM in bulk (``bulk_create``): tens of thousands of deliveries one service call
at a time would make ``make run`` slow, and the services rightly refuse to back-date. Upcoming class
bookings go through the events service (``booking_create_on_behalf``), as in ``events.demo``. At the end the
derived state is brought up to date by the area's own services: ``elder_risk_refresh`` (every elder gets
a profile and a level) and ``contact_plans_sync`` (every elder a contact plan), after which the demo's
contact plans take their due dates from their logs, so that some are overdue.
"""

from __future__ import annotations

import datetime
import random
import time
from collections import defaultdict
from decimal import Decimal

from auditlog.context import disable_auditlog
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from events.models import (
    Activity,
    ActivityStatus,
    Area,
    Booking,
    CapacityUnit,
    CheckIn,
    CheckInMethod,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Session,
)
from events.services import booking_create_on_behalf, pools_recount, sessions_generate_weekly
from portal.accounts.models import Role, User
from portal.community.models import (
    AdlLevel,
    Consent,
    ConsentPurpose,
    Grid,
    Organization,
    Person,
    Relation,
    RelationKind,
    SensitiveProfile,
)

from .models import (
    READING_UNITS,
    BirthdayCalendar,
    ContactLog,
    ContactMethod,
    ContactPlan,
    Delivery,
    Direction,
    ElderProfile,
    FlagLevel,
    FollowUp,
    FollowUpStatus,
    GlucoseTiming,
    HelperKind,
    LivingSituation,
    Need,
    NeedCategory,
    NeedStatus,
    PlanPeriod,
    Reading,
    ReadingKind,
    Service,
    ServicePlan,
    Threshold,
    Wellbeing,
)

SEED = 20260304  # the story's day at the 新时代文明实践站
NURSING_HOME = "南通申丞小海护理院"
HEALTH_CENTRE = "中兴街道社区卫生服务中心"
STATION = "永兴社区便民服务驿站"
DEMO_PASSWORD = "zhaoxi-demo-2026"  # noqa: S105 - the published demo password (seed_demo prints it)
PROFILE_FIELDS = [
    "living_situation",
    "childless_widowed",
    "helper",
    "helper_kind",
    "birthday_greetings",
    "birthday_calendar",
]

CLINIC = "便民服务驿站·健康义诊（量血压、测血糖、问诊）"
SMARTPHONE = "智能助老课堂·手机移动支付（每周一下午）"
TAICHI = "长者太极拳班（每周四上午）"

#: Service codes of the catalogue (shipped by migration 0003_partners), with a name to fall back on.
SERVICES = {
    "meals": ("meal-delivery", "助餐送餐"),
    "care": ("daily-care", "生活照料"),
    "rehab": ("rehabilitation", "康复理疗"),
    "health": ("health-management", "健康管理"),
}
MEALS = [
    "午餐：米饭、红烧鱼块、炒青菜、紫菜蛋汤",
    "午餐：软米饭、肉末豆腐、清炒西葫芦、冬瓜汤",
    "午餐：杂粮饭、清蒸鸡块、炒菠菜、番茄蛋汤",
    "午餐：米饭、土豆烧肉、蒜蓉生菜、萝卜汤",
    "午餐：面条、虾仁炒蛋、凉拌黄瓜",
    "午餐：米饭、香菇菜心、红烧狮子头（软烂）、丝瓜汤",
]
CARE = ["助浴、换洗床单", "打扫卫生、整理房间", "陪同散步、测量血压", "理发、剪指甲", "助洁、代购生活用品"]
REHAB = ["下肢康复训练 30 分钟", "肩颈理疗按摩", "关节活动度训练", "平衡训练、防跌倒指导"]
HEALTH = ["测血压、血糖，用药提醒", "健康档案更新，慢病随访", "测血压，饮食指导"]

#: Helper accounts made for the demo (结对帮扶): phone, name, kind. The younger elders help elders.
HELPERS = [
    ("+8613800000201", "蒋丽华", HelperKind.PARTY_MEMBER),
    ("+8613800000202", "陆志刚", HelperKind.PARTY_MEMBER),
    ("+8613800000203", "施海燕", HelperKind.VOLUNTEER),
    ("+8613800000204", "曹卫东", HelperKind.VOLUNTEER),
]
#: How many younger elders (60 to 72) from the volunteer team help elders (an account is made for each).
YOUNGER_ELDER_HELPERS = 3

CONDITIONS_OF_NEEDS = [
    (NeedCategory.MEDICAL, "想请家庭医生上门看看，最近腿脚肿", "已联系家庭医生上门诊查，开了药，下周复诊。"),
    (NeedCategory.HOUSEHOLD, "厨房水龙头漏水，自己修不了", "物业维修师傅已上门更换水龙头。"),
    (NeedCategory.HOUSEHOLD, "卫生间灯坏了", "志愿者上门换了灯泡。"),
    (NeedCategory.MEALS, "想增加晚餐送餐", "已与护理院沟通，晚餐送餐已加入服务计划。"),
    (NeedCategory.BENEFITS, "高龄津贴的材料不会填", "网格员上门帮助填写，材料已交街道。"),
    (NeedCategory.COMPANY, "子女不在身边，希望多有人来聊聊天", "已安排助老巡访队每周上门陪伴。"),
    (NeedCategory.MEDICAL, "降压药快吃完了，不方便去医院配药", "社区卫生服务中心代配药，已送药上门。"),
    (NeedCategory.BENEFITS, "医保卡丢了，要补办", "网格员陪同到街道便民服务中心办理。"),
    (NeedCategory.HOUSEHOLD, "楼道扶手松动，怕摔跤", "已报物业加固楼道扶手。"),
    (NeedCategory.OTHER, "手机不会视频通话，想和外地的女儿视频", "志愿者上门教会了视频通话。"),
]
VISIT_NOTES = {
    Wellbeing.GOOD: [
        "精神不错，饭量正常",
        "身体挺好，在家看电视",
        "刚从楼下散步回来，气色好",
        "聊了家常，老人很开心",
    ],
    Wellbeing.FAIR: ["最近睡得不太好", "说膝盖有点疼，提醒按时吃药", "有点感冒，已提醒多喝水", "胃口一般"],
    Wellbeing.POOR: ["血压偏高，头晕，已联系家庭医生", "摔了一跤，腿上有淤青", "情绪低落，想念子女"],
    Wellbeing.URGENT: ["胸闷气短，已拨打120并通知家属", "发烧不退，已陪同去医院"],
}
UNREACHED_NOTES = ["敲门无人应答，电话也没接", "电话无人接听", "邻居说出门了，改天再来"]


def _at(day: datetime.date, hour: float) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    return datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=tz) + datetime.timedelta(hours=hour)


def _months_back(day: datetime.date, months: int) -> datetime.date:
    """The first of the month ``months`` before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


class _Demo:
    def __init__(self, *, stdout, today: datetime.date):
        self.out = stdout
        self.today = today
        self.timings: dict[str, float] = {}
        # As in events.demo: today at the real time of day; another day (tests) at nine in the morning.
        self.now = timezone.now() if today == timezone.localdate() else _at(today, 9)
        self.year_ago = today - datetime.timedelta(days=365)
        self.staff = User.objects.filter(role=Role.COMMUNITY_STAFF, is_active=True).order_by("pk").first()
        self.home = Organization.objects.filter(name=NURSING_HOME).first()
        self.centre = Organization.objects.filter(name=HEALTH_CENTRE).first()
        self.carer = self._partner_staff(self.home)
        self.nurse = self._partner_staff(self.centre)
        self.grid_workers = {
            g.pk: g.leader for g in Grid.objects.select_related("leader").order_by("pk") if g.leader_id
        }

    def ready(self) -> bool:
        return bool(self.staff and self.home and self.centre)

    def _partner_staff(self, org) -> User | None:
        if org is None:
            return None
        return (
            User.objects.filter(role=Role.PARTNER_STAFF, organization=org, is_active=True)
            .order_by("pk")
            .first()
            or self.staff
        )

    def say(self, text: str) -> None:
        self.out.write(f"  {text}")

    def elders(self) -> list[Person]:
        """The story's 82 residents aged 80 and over, in primary-key order."""
        return list(
            Person.objects.active()
            .aged_at_least(80, on=self.today)
            .filter(household__isnull=False)
            .select_related("household__building")
            .order_by("pk")
        )

    # -- helpers (结对帮扶) --------------------------------------------------------------------------------
    def helpers(self) -> list[tuple[User, str]]:
        """(user, kind) of every helper: the demo volunteer, the party-member volunteer, the helper accounts
        (made here once), younger elders of the volunteer team and the grid workers."""
        password = None
        out: list[tuple[User, str]] = []
        from portal.management.commands.seed_demo import ACCOUNTS

        # The demo's own volunteer logins (the student, the party member), from seed_demo's accounts.
        for phone, _name, role, extra in ACCOUNTS:
            user = (
                User.objects.filter(phone=phone, is_active=True).first() if role == Role.VOLUNTEER else None
            )
            if user is not None:
                kind = HelperKind.PARTY_MEMBER if "党员" in extra.get("note", "") else HelperKind.VOLUNTEER
                out.append((user, kind))
        for phone, name, kind in HELPERS:
            user = User.objects.filter(phone=phone).first()
            if user is None:
                password = password or make_password(DEMO_PASSWORD)
                user = User.objects.create(
                    phone=phone, name=name, role=Role.VOLUNTEER, phone_verified=True, password=password
                )
            out.append((user, kind))
        # Elders helping elders: volunteers of the team aged 60 to 72 (by primary key), each with an account.
        younger = list(
            Person.objects.active()
            .aged_at_least(60, on=self.today)
            .aged_under(73, on=self.today)
            .filter(household__isnull=False, volunteer_profile__isnull=False)
            .select_related("user")
            .order_by("pk")[:YOUNGER_ELDER_HELPERS]
        )
        if len(younger) < YOUNGER_ELDER_HELPERS:
            taken = [p.pk for p in younger]
            younger += list(
                Person.objects.active()
                .aged_at_least(62, on=self.today)
                .aged_under(73, on=self.today)
                .filter(household__isnull=False)
                .exclude(pk__in=taken)
                .select_related("user")
                .order_by("pk")[: YOUNGER_ELDER_HELPERS - len(younger)]
            )
        for n, person in enumerate(younger, start=1):
            user = person.user
            if user is None:
                phone = f"+86138000003{n:02d}"
                user = User.objects.filter(phone=phone).first()
                if user is None:
                    password = password or make_password(DEMO_PASSWORD)
                    user = User.objects.create(
                        phone=phone,
                        name=person.name,
                        role=Role.VOLUNTEER,
                        phone_verified=True,
                        password=password,
                    )
                if not Person.objects.filter(user=user).exists():
                    person.user = user
                    person.save(update_fields=["user"])
            out.append((user, HelperKind.VOLUNTEER))
        return out

    # -- profiles, plans, deliveries -----------------------------------------------------------------------
    def profiles_and_services(self) -> None:
        if ServicePlan.objects.filter(organization=self.home).exists():
            self.say("Elder profiles and the nursing home's plans: already there.")
            return
        rng = random.Random(f"{SEED}-profiles")
        elders = self.elders()
        helpers = self.helpers()
        ids = [e.pk for e in elders]
        household_sizes = dict(
            Person.objects.filter(household_id__in={e.household_id for e in elders}, is_active=True)
            .values("household_id")
            .annotate(n=Count("pk"))
            .values_list("household_id", "n")
        )
        spouses = set(
            Relation.objects.filter(subject_id__in=ids, kind=RelationKind.SPOUSE).values_list(
                "subject_id", flat=True
            )
        )
        with_children = set(
            Relation.objects.filter(
                relative_id__in=ids, kind__in=[RelationKind.CARER, RelationKind.CHILD]
            ).values_list("relative_id", flat=True)
        )
        existing = {p.person_id: p for p in ElderProfile.objects.filter(person_id__in=ids)}
        creates, updates = [], []
        mother = Person.objects.filter(name="王秀英", household__isnull=False).order_by("pk").first()
        demo_volunteer = next((u for u, _k in helpers if u.phone == "+8613800000004"), None)
        for elder in elders:
            if elder.lives_alone:
                living = LivingSituation.ALONE
            elif elder.pk in spouses and household_sizes.get(elder.household_id) == 2:
                living = LivingSituation.SPOUSE
            else:
                living = LivingSituation.FAMILY
            roll = rng.random()
            grid_worker = self.grid_workers.get(elder.household.building.grid_id)
            if roll < 0.3 and grid_worker:
                helper, kind = grid_worker, HelperKind.GRID_WORKER
            else:
                helper, kind = rng.choice(helpers) if helpers else (grid_worker, HelperKind.GRID_WORKER)
            if mother and elder.pk == mother.pk and demo_volunteer:
                helper, kind = demo_volunteer, HelperKind.VOLUNTEER
            greetings = rng.random() < 0.35 or (mother is not None and elder.pk == mother.pk)
            lunar = greetings and (rng.random() < 0.4 or (mother is not None and elder.pk == mother.pk))
            fields = {
                "living_situation": living,
                "childless_widowed": bool(
                    elder.is_widowed
                    and elder.lives_alone
                    and elder.pk not in with_children
                    and rng.random() < 0.2
                ),
                "helper": helper,
                "helper_kind": kind if helper else "",
                "birthday_greetings": greetings,
                "birthday_calendar": BirthdayCalendar.LUNAR if lunar else BirthdayCalendar.SOLAR,
            }
            profile = existing.get(elder.pk)
            if profile is None:
                creates.append(ElderProfile(person=elder, **fields))
            else:
                for name, value in fields.items():
                    setattr(profile, name, value)
                updates.append(profile)
        ElderProfile.objects.bulk_create(creates, batch_size=500)
        if updates:
            ElderProfile.objects.bulk_update(updates, PROFILE_FIELDS, batch_size=500)
        self.sensitive(elders, rng)
        self.service_plans(elders, rng)

    def sensitive(self, elders: list[Person], rng: random.Random) -> None:
        """The daily-living level (from the care level seed_demo wrote), a few disabilities and 低保."""
        adl = {
            "自理": [AdlLevel.INDEPENDENT],
            "半失能": [AdlLevel.MILD, AdlLevel.MODERATE],
            "失能": [AdlLevel.SEVERE],
        }
        rows = list(SensitiveProfile.objects.filter(person__in=elders, adl_level="").order_by("person_id"))
        for row in rows:
            row.adl_level = rng.choice(adl.get(row.care_level, [AdlLevel.INDEPENDENT]))
            if rng.random() < 0.07:
                row.disability = rng.choice(["视力残疾二级", "肢体残疾三级", "听力残疾三级"])
            row.receives_dibao = rng.random() < 0.06
        SensitiveProfile.objects.bulk_update(
            rows, ["adl_level", "disability", "receives_dibao"], batch_size=500
        )

    def service(self, key: str) -> Service:
        code, name = SERVICES[key]
        service = Service.objects.filter(code=code).first() or Service.objects.filter(name=name).first()
        if service is None:
            service = Service.objects.create(code=code, name=name, order=10 * (list(SERVICES).index(key) + 1))
        return service

    def service_plans(self, elders: list[Person], rng: random.Random) -> None:
        meals, care, rehab, health = (self.service(k) for k in ("meals", "care", "rehab", "health"))
        care_levels = dict(
            SensitiveProfile.objects.filter(person__in=elders).values_list("person_id", "adl_level")
        )
        plans: list[ServicePlan] = []
        for elder in elders:
            started = self.year_ago + datetime.timedelta(days=rng.randrange(0, 20))
            common = {"elder": elder, "organization": self.home, "created_by": self.staff}
            plans.append(
                ServicePlan(
                    service=health, times=1, period=PlanPeriod.MONTH, starts_on=self.year_ago, **common
                )
            )
            if rng.random() < 0.78:
                plans.append(
                    ServicePlan(service=meals, times=1, period=PlanPeriod.DAY, starts_on=started, **common)
                )
            dependent = care_levels.get(elder.pk, "") not in ("", AdlLevel.INDEPENDENT)
            if dependent or elder.lives_alone and rng.random() < 0.5:
                plans.append(
                    ServicePlan(
                        service=care,
                        times=2 if dependent else 1,
                        period=PlanPeriod.WEEK,
                        starts_on=started,
                        **common,
                    )
                )
            if rng.random() < 0.18:
                begin = self.today - datetime.timedelta(days=rng.randrange(40, 300))
                end = begin + datetime.timedelta(days=rng.choice([90, 120, 180]))
                plans.append(
                    ServicePlan(
                        service=rehab,
                        times=2,
                        period=PlanPeriod.WEEK,
                        starts_on=begin,
                        ends_on=end if end < self.today else None,
                        notes="术后康复" if rng.random() < 0.5 else "",
                        **common,
                    )
                )
        plans = ServicePlan.objects.bulk_create(plans, batch_size=1000)
        self.home.clients.add(*elders)
        # A delivery round a day, the carer's: some days one is missed (the plan is flagged by the daily job).
        struggling = {p.pk for p in rng.sample([p for p in plans if p.service_id == meals.pk], 2)}
        rows: list[Delivery] = []
        for plan in plans:
            rows += self.deliveries_of(
                plan,
                rng,
                struggling=plan.pk in struggling,
                menus={meals.pk: MEALS, care.pk: CARE, rehab.pk: REHAB, health.pk: HEALTH}[plan.service_id],
            )
        Delivery.objects.bulk_create(rows, batch_size=2000)
        self.say(f"{len(plans)} service plans at {NURSING_HOME}, {len(rows)} deliveries over the year.")

    def deliveries_of(
        self, plan: ServicePlan, rng: random.Random, *, struggling: bool, menus
    ) -> list[Delivery]:
        last = min(plan.ends_on or self.today, self.today)
        days: list[tuple[datetime.date, float]] = []
        if plan.period == PlanPeriod.DAY:
            day = plan.starts_on
            while day <= last:
                days.append((day, 11 + rng.random() * 0.8))
                day += datetime.timedelta(days=1)
        elif plan.period == PlanPeriod.WEEK:
            monday = plan.starts_on - datetime.timedelta(days=plan.starts_on.weekday())
            while monday <= last:
                for offset in rng.sample(range(0, 5), plan.times):
                    days.append((monday + datetime.timedelta(days=offset), 9 + rng.random() * 6))
                monday += datetime.timedelta(days=7)
        else:  # monthly health management, in the first days of every month (this month's: done already)
            for back in range(12, -1, -1):
                first = _months_back(self.today, back)
                day = min(first + datetime.timedelta(days=rng.randrange(0, 4)), self.today)
                days.append((day, 8.5 + rng.random() * 2))
        rows = []
        recent = self.today - datetime.timedelta(days=3)
        for day, hour in days:
            if day < plan.starts_on or day > last:
                continue
            when = _at(day, hour)
            if when > self.now:
                if plan.period != PlanPeriod.MONTH:
                    continue  # today's round has not reached her yet
                when = max(_at(day, 0), self.now - datetime.timedelta(minutes=30))
            missed = rng.random() < 0.02 or (struggling and day >= recent)
            if missed and plan.period != PlanPeriod.MONTH:
                continue
            rows.append(
                Delivery(
                    plan=plan,
                    elder_id=plan.elder_id,
                    service_id=plan.service_id,
                    organization_id=plan.organization_id,
                    delivered_at=when,
                    delivered_by=self.carer,
                    what=rng.choice(menus),
                    round_key=f"demo-{plan.service_id}-{day:%Y%m%d}",
                )
            )
        return rows

    # -- the health station's clinics ----------------------------------------------------------------------
    def clinics(self) -> None:
        activity = Activity.objects.filter(title=CLINIC, organiser_org=self.centre).first()
        if activity is not None:
            self.report(activity)
            return
        rng = random.Random(f"{SEED}-clinics")
        activity = Activity.objects.create(
            title=CLINIC,
            area=Area.ELDERS,
            organiser_org=self.centre,
            created_by=self.staff,
            status=ActivityStatus.PUBLISHED,
            description=(
                "中兴街道社区卫生服务中心的医生护士每月到家门口的“便民服务驿站”义诊：量血压、测血糖、"
                "测心率和体重，解答用药和慢病问题。60 周岁以上居民随到随测，也可以先预约。"
            ),
            place=STATION,
            capacity_unit=CapacityUnit.PERSON,
            registration_scope=RegistrationScope.SESSION,
            min_age=60,
            residents_only=True,
            booking_opens_at=self.now - datetime.timedelta(days=400),
        )
        days = []
        for back in range(12, -3, -1):
            first = _months_back(self.today, back)
            day = first.replace(day=10)
            while day.weekday() >= 5:  # a weekday
                day += datetime.timedelta(days=1)
            days.append(day)
        sessions = Session.objects.bulk_create(
            [
                Session(
                    activity=activity, starts_at=_at(d, 8.5), ends_at=_at(d, 11), capacity=80, place=STATION
                )
                for d in days
                if _at(d, 8.5) > self.year_ago_at
            ]
        )
        past = [s for s in sessions if s.starts_at < self.now]
        pool = list(
            Person.objects.active()
            .aged_at_least(60, on=self.today)
            .filter(household__isnull=False)
            .select_related("sensitive", "household__building")
            .order_by("pk")
        )
        if not pool or not past:
            self.report(activity)
            return
        # Regulars (hypertension, diabetes) come most months; others now and then.
        weights = [
            3 if "高血压" in self._conditions(p) or "糖尿病" in self._conditions(p) else 1 for p in pool
        ]
        visits: list[tuple[Session, Person]] = []
        for session in past:
            wanted = min(len(pool), rng.randint(44, 54))
            chosen: dict[int, Person] = {}
            while len(chosen) < wanted:
                person = rng.choices(pool, weights=weights)[0]
                chosen.setdefault(person.pk, person)
            visits += [(session, p) for p in sorted(chosen.values(), key=lambda p: p.pk)]
        self.health_consents({p.pk: p for _s, p in visits}, first=past[0].starts_at)
        bookings = Booking.objects.bulk_create(
            [Booking(activity=activity, session=s, booked_by=self.nurse, on_behalf=True) for s, _p in visits],
            batch_size=1000,
        )
        regs = Registration.objects.bulk_create(
            [
                Registration(
                    booking=b, activity=activity, session=s, person=p, status=RegistrationStatus.CONFIRMED
                )
                for b, (s, p) in zip(bookings, visits, strict=True)
            ],
            batch_size=1000,
        )
        CheckIn.objects.bulk_create(
            [
                CheckIn(
                    registration=r,
                    session=r.session,
                    checked_in_at=r.session.starts_at + datetime.timedelta(minutes=rng.randint(0, 140)),
                    checked_in_by=self.nurse,
                    method=CheckInMethod.STAFF_SEARCH,
                )
                for r in regs
            ],
            batch_size=1000,
        )
        self.readings(regs, rng)
        # The next clinic: a few booked ahead through the engine (the rest will drop in).
        upcoming = [s for s in sessions if s.starts_at > self.now]
        if upcoming:
            for person in rng.sample(pool, min(6, len(pool))):
                booking_create_on_behalf(
                    staff=self.staff, activity=activity, session=upcoming[0], persons=[person], now=self.now
                )
        self.report(activity)

    @property
    def year_ago_at(self) -> datetime.datetime:
        return _at(self.year_ago, 0)

    @staticmethod
    def _conditions(person: Person) -> str:
        try:
            return person.sensitive.health_conditions or ""
        except SensitiveProfile.DoesNotExist:
            return ""

    def health_consents(self, people: dict[int, Person], *, first: datetime.datetime) -> None:
        """Readings are health data: each visitor signed the health-information consent at her first clinic,
        recorded at the desk by the nurse (she has no account, or did it on paper)."""
        from django.conf import settings

        have = set(
            Consent.objects.active()
            .filter(person_id__in=people, purpose=ConsentPurpose.HEALTH)
            .values_list("person_id", flat=True)
        )
        Consent.objects.bulk_create(
            [
                Consent(
                    person_id=pk,
                    purpose=ConsentPurpose.HEALTH,
                    notice_version=settings.PRIVACY_NOTICE_VERSION,
                    given_by=self.nurse,
                    recorded_at_desk=True,
                    given_at=first - datetime.timedelta(minutes=30),
                )
                for pk in sorted(people)
                if pk not in have
            ]
        )

    def thresholds(self) -> dict[str, list[Threshold]]:
        by_measure: dict[str, list[Threshold]] = defaultdict(list)
        for t in Threshold.objects.filter(is_active=True):
            by_measure[t.measure].append(t)
        return by_measure

    @staticmethod
    def flag(thresholds, measures: list[tuple[str, Decimal]]) -> tuple[str, list[str]]:
        """The most severe level of the active thresholds these numbers cross, and their labels."""
        level, labels = FlagLevel.NORMAL, []
        for measure, value in measures:
            for t in thresholds.get(measure, []):
                crossed = value >= t.limit if t.direction == Direction.HIGH else value < t.limit
                if crossed:
                    labels.append(t.label)
                    if t.level == FlagLevel.URGENT or level == FlagLevel.NORMAL:
                        level = t.level
        return level, labels

    def readings(self, regs: list[Registration], rng: random.Random) -> None:
        thresholds = self.thresholds()
        base: dict[int, dict] = {}
        rows: list[Reading] = []
        urgent_left = 4  # a few urgent readings, whatever the draw
        for n, reg in enumerate(regs):
            person = reg.person
            conditions = self._conditions(person)
            b = base.setdefault(
                person.pk,
                {
                    "sys": rng.gauss(150 if "高血压" in conditions else 126, 8),
                    "glu": rng.gauss(7.6 if "糖尿病" in conditions else 5.5, 0.6),
                    "hr": rng.gauss(74, 6),
                    "kg": rng.gauss(60 if person.gender == "F" else 68, 7),
                },
            )
            taken = reg.session.starts_at + datetime.timedelta(minutes=5 + (n * 7) % 140)
            systolic = round(b["sys"] + rng.gauss(0, 9))
            if urgent_left and rng.random() < 0.012:
                systolic, urgent_left = rng.randint(182, 196), urgent_left - 1
            diastolic = max(50, min(systolic - 25, round(systolic * 0.6 + rng.gauss(0, 5))))
            readings = [(ReadingKind.BLOOD_PRESSURE, Decimal(systolic), Decimal(diastolic), "")]
            if rng.random() < 0.55:
                timing = GlucoseTiming.FASTING if rng.random() < 0.8 else GlucoseTiming.AFTER_MEAL
                glucose = b["glu"] + rng.gauss(0, 0.7) + (2.5 if timing == GlucoseTiming.AFTER_MEAL else 0)
                if urgent_left and rng.random() < 0.01:
                    glucose, urgent_left = 17.2 + rng.random() * 3, urgent_left - 1
                readings.append((ReadingKind.GLUCOSE, Decimal(f"{max(glucose, 3.2):.1f}"), None, timing))
            if rng.random() < 0.6:
                readings.append((ReadingKind.HEART_RATE, Decimal(round(b["hr"] + rng.gauss(0, 5))), None, ""))
            if rng.random() < 0.3:
                readings.append((ReadingKind.WEIGHT, Decimal(f"{b['kg'] + rng.gauss(0, 0.8):.1f}"), None, ""))
            for kind, value, value2, timing in readings:
                if kind == ReadingKind.BLOOD_PRESSURE:
                    measures = [("systolic", value), ("diastolic", value2)]
                elif kind == ReadingKind.GLUCOSE:
                    measures = [(f"glucose_{timing}", value)]
                elif kind == ReadingKind.HEART_RATE:
                    measures = [("heart_rate", value)]
                else:
                    measures = []
                level, labels = self.flag(thresholds, measures)
                rows.append(
                    Reading(
                        elder_id=person.pk,
                        kind=kind,
                        value=value,
                        value2=value2,
                        unit=READING_UNITS[kind],
                        glucose_timing=timing,
                        taken_at=taken,
                        session_id=reg.session_id,
                        level=level,
                        flags=labels,
                        recorded_by=self.nurse,
                    )
                )
        # Guarantee the story's "some urgent" even if the draw found none (a reading typed at the last clinic).
        if not any(r.level == FlagLevel.URGENT for r in rows) and rows:
            last = max((r for r in rows if r.kind == ReadingKind.BLOOD_PRESSURE), key=lambda r: r.taken_at)
            last.value, last.value2 = Decimal(186), Decimal(112)
            last.level, last.flags = self.flag(
                thresholds, [("systolic", last.value), ("diastolic", last.value2)]
            )
            if last.level == FlagLevel.NORMAL:
                last.level, last.flags = FlagLevel.URGENT, ["收缩压≥180 mmHg"]
        rows = Reading.objects.bulk_create(rows, batch_size=1000)
        self.followups([r for r in rows if r.level != FlagLevel.NORMAL], rng)
        flagged = sum(1 for r in rows if r.level != FlagLevel.NORMAL)
        urgent = sum(1 for r in rows if r.level == FlagLevel.URGENT)
        self.say(f"{len(rows)} readings at the clinics: {flagged} flagged, {urgent} urgent.")

    def followups(self, readings: list[Reading], rng: random.Random) -> None:
        grids = dict(
            Person.objects.filter(pk__in={r.elder_id for r in readings}).values_list(
                "pk", "household__building__grid_id"
            )
        )
        doctors = dict(
            ElderProfile.objects.filter(person_id__in=grids, family_doctor__isnull=False).values_list(
                "person_id", "family_doctor_id"
            )
        )
        rows = []
        for r in readings:
            day = timezone.localtime(r.taken_at).date()
            due = day + datetime.timedelta(days=1 if r.level == FlagLevel.URGENT else 7)
            assignee = doctors.get(r.elder_id)
            if assignee is None:
                leader = self.grid_workers.get(grids.get(r.elder_id))
                assignee = leader.pk if leader else None
            closed = (self.today - day).days > 35 and rng.random() < 0.93
            rows.append(
                FollowUp(
                    elder_id=r.elder_id,
                    reading=r,
                    level=r.level,
                    assigned_to_id=assignee,
                    due_on=due,
                    status=FollowUpStatus.CLOSED if closed else FollowUpStatus.OPEN,
                    outcome=rng.choice(
                        [
                            "已电话随访，复测血压正常，嘱按时服药。",
                            "家庭医生上门复测，调整了用药。",
                            "已陪同到社区卫生服务中心复查。",
                            "家属已带老人就医，情况稳定。",
                        ]
                    )
                    if closed
                    else "",
                    closed_by_id=assignee if closed else None,
                    closed_at=_at(due, 15) if closed else None,
                )
            )
        FollowUp.objects.bulk_create(rows, batch_size=1000)

    # -- classes -------------------------------------------------------------------------------------------
    def classes(self) -> None:
        self.course(
            SMARTPHONE,
            seed="smartphone",
            description=(
                "志愿者手把手教长者用手机：微信支付和支付宝缴水电费、扫码乘车、视频通话、识别诈骗电话。"
                "每周一下午两点到四点，带上自己的手机来。"
            ),
            place="永兴社区新时代文明实践站 二楼教室",
            weekday=0,
            hours=(14, 16),
            weeks_back=6,
            weeks_ahead=3,
            capacity=20,
            members=16,
            first_member="郭玲",
        )
        self.course(
            TAICHI,
            seed="taichi",
            description="社区太极拳老师带大家练习二十四式简化太极拳，强身健体、防跌倒。每周四上午八点半。",
            place="永兴社区综合文化中心 多功能厅",
            weekday=3,
            hours=(8.5, 9.5),
            weeks_back=10,
            weeks_ahead=6,
            capacity=25,
            members=18,
        )

    def course(
        self,
        title: str,
        *,
        seed: str,
        description: str,
        place: str,
        weekday: int,
        hours: tuple[float, float],
        weeks_back: int,
        weeks_ahead: int,
        capacity: int,
        members: int,
        first_member: str = "",
    ) -> None:
        activity = Activity.objects.filter(
            title=title, organiser_org__name="永兴社区新时代文明实践站"
        ).first()
        if activity is not None:
            self.report(activity)
            return
        organiser = Organization.objects.filter(name="永兴社区新时代文明实践站").first() or self.home
        activity = Activity.objects.create(
            title=title,
            area=Area.ELDERS,
            organiser_org=organiser,
            created_by=self.staff,
            status=ActivityStatus.PUBLISHED,
            description=description,
            place=place,
            registration_scope=RegistrationScope.COURSE,
            capacity=capacity,
            min_age=60,
            residents_only=True,
            booking_opens_at=self.now - datetime.timedelta(weeks=weeks_back + 2),
            booking_closes_at=self.now + datetime.timedelta(weeks=weeks_ahead),
            cancel_hours_before=2,
        )
        start, end = hours
        sessions = sessions_generate_weekly(
            actor=self.staff,
            activity=activity,
            first=self.today - datetime.timedelta(weeks=weeks_back),
            last=self.today + datetime.timedelta(weeks=weeks_ahead),
            weekdays=[weekday],
            start_time=datetime.time(int(start), int(start % 1 * 60)),
            end_time=datetime.time(int(end), int(end % 1 * 60)),
            capacity=capacity,
        )
        rng = random.Random(f"{SEED}-{seed}")
        first = list(Person.objects.filter(name=first_member, household__isnull=False).order_by("pk")[:1])
        others = list(
            Person.objects.active()
            .aged_at_least(60, on=self.today)
            .aged_under(86, on=self.today)
            .filter(household__isnull=False)
            .exclude(pk__in=[p.pk for p in first])
            .order_by("pk")
        )
        chosen = first + rng.sample(others, min(members - len(first), len(others)))
        bookings = [
            booking_create_on_behalf(
                staff=self.staff, activity=activity, session=None, persons=[p], now=self.now
            )
            for p in chosen
        ]
        regs = list(
            Registration.objects.filter(booking__in=bookings, status=RegistrationStatus.CONFIRMED)
            .select_related("person")
            .order_by("pk")
        )
        rows = []
        for session in sessions:
            if session.starts_at >= self.now:
                continue
            rows += [
                CheckIn(
                    registration=reg,
                    session=session,
                    checked_in_at=session.starts_at - datetime.timedelta(minutes=rng.randint(0, 15)),
                    checked_in_by=self.staff,
                    method=CheckInMethod.STAFF_SEARCH,
                )
                for reg in regs
                if reg.person.name == first_member or rng.random() < 0.82
            ]
        CheckIn.objects.bulk_create(rows)
        self.report(activity)

    def report(self, activity: Activity) -> None:
        sessions = activity.sessions.count()
        visits = CheckIn.objects.filter(session__activity=activity).count()
        self.say(f"{activity.title}: {sessions} sessions, {visits} check-ins.")

    # -- the visit-and-call roster (关爱走访) -----------------------------------------------------------------
    def contacts(self) -> list[int]:
        elders = self.elders()
        ids = [e.pk for e in elders]
        if ContactLog.objects.filter(elder_id__in=ids).exists():
            self.say("Contact plans and logs: already there.")
            return []
        rng = random.Random(f"{SEED}-contacts")
        profiles = {
            p.person_id: p for p in ElderProfile.objects.filter(person_id__in=ids).select_related("helper")
        }
        existing = {p.elder_id: p for p in ContactPlan.objects.filter(elder_id__in=ids)}
        overdue = set(rng.sample(ids, min(8, len(ids))))
        unreached = set(rng.sample([i for i in ids if i not in overdue], min(4, len(ids) - len(overdue))))
        plans: dict[int, ContactPlan] = {}
        for elder in elders:
            profile = profiles.get(elder.pk)
            every = 7 if elder.lives_alone else 30
            helper = (profile.helper if profile else None) or self.grid_workers.get(
                elder.household.building.grid_id
            )
            plan = existing.get(elder.pk) or ContactPlan(elder=elder)
            plan.every_days = every
            plan.method = (
                ContactMethod.VISIT if elder.lives_alone or rng.random() < 0.5 else ContactMethod.CALL
            )
            plan.assigned_to = helper
            plan.starts_on = self.year_ago
            plan.due_on = self.year_ago + datetime.timedelta(days=every)
            plans[elder.pk] = plan
        ContactPlan.objects.bulk_create([p for p in plans.values() if p.pk is None], batch_size=500)
        to_update = [p for e, p in plans.items() if e in existing]
        if to_update:
            ContactPlan.objects.bulk_update(
                to_update, ["every_days", "method", "assigned_to", "starts_on", "due_on"], batch_size=500
            )
        from .services.outreach import contact_plans_elder_refresh

        contact_plans_elder_refresh(person_ids=ids)  # written in bulk: no signal set it
        logs: list[ContactLog] = []
        for elder in elders:
            plan = plans[elder.pk]
            every = plan.every_days
            by = plan.assigned_to or self.staff
            stop = self.now
            if elder.pk in overdue:  # last seen well past the due date and the grace period
                stop = self.now - datetime.timedelta(days=every * 2 + rng.randint(4, 12))
            when = _at(self.year_ago, 9) + datetime.timedelta(
                days=rng.uniform(0, every), hours=rng.uniform(0, 8)
            )
            mine: list[ContactLog] = []
            while when < stop - datetime.timedelta(hours=2):
                reached = rng.random() < 0.92
                wellbeing = (
                    rng.choices(
                        [Wellbeing.GOOD, Wellbeing.FAIR, Wellbeing.POOR, Wellbeing.URGENT],
                        weights=[70, 21, 8, 1],
                    )[0]
                    if reached
                    else ""
                )
                mine.append(
                    ContactLog(
                        elder=elder,
                        plan=plan,
                        method=plan.method if rng.random() < 0.8 else rng.choice(ContactMethod.values),
                        reached=reached,
                        wellbeing=wellbeing,
                        notes=rng.choice(VISIT_NOTES[wellbeing] if reached else UNREACHED_NOTES),
                        contacted_at=when,
                        by=by,
                        entered_on_behalf=rng.random() < 0.05,
                    )
                )
                jitter = max(1, round(every * rng.uniform(0.7, 1.1)))
                when += datetime.timedelta(days=jitter, hours=rng.uniform(-2, 2))
            if elder.pk in unreached and len(mine) >= 2:
                for log in mine[-2:]:
                    log.reached, log.wellbeing, log.notes = False, "", rng.choice(UNREACHED_NOTES)
            logs += mine
        logs = ContactLog.objects.bulk_create(logs, batch_size=2000)
        self.needs(logs, rng)
        self.plan_state(list(plans.values()), logs)
        self.say(
            f"{len(plans)} contact plans, {len(logs)} contact logs over the year "
            f"({len(overdue)} elders left overdue, {len(unreached)} not reached twice in a row)."
        )
        return ids

    def plan_state(self, plans: list[ContactPlan], logs: list[ContactLog]) -> None:
        """Each plan's last contact, last reached, not-reached-in-a-row and due date, from its logs."""
        by_elder: dict[int, list[ContactLog]] = defaultdict(list)
        for log in logs:
            by_elder[log.elder_id].append(log)
        for plan in plans:
            mine = sorted(by_elder.get(plan.elder_id, []), key=lambda log: log.contacted_at)
            plan.last_contact_at = mine[-1].contacted_at if mine else None
            reached = [log for log in mine if log.reached]
            plan.last_reached_at = reached[-1].contacted_at if reached else None
            row = 0
            for log in reversed(mine):
                if log.reached:
                    break
                row += 1
            plan.unreached_in_row = row
            since = (
                timezone.localtime(plan.last_reached_at).date() if plan.last_reached_at else plan.starts_on
            )
            plan.due_on = since + datetime.timedelta(days=plan.every_days)
        ContactPlan.objects.bulk_update(
            plans, ["last_contact_at", "last_reached_at", "unreached_in_row", "due_on"], batch_size=500
        )

    def needs(self, logs: list[ContactLog], rng: random.Random) -> None:
        """Needs raised on visits (急难愁盼): most handled and closed, the recent ones open or in hand."""
        raised = [
            log for log in logs if log.reached and (log.wellbeing in (Wellbeing.POOR, Wellbeing.URGENT))
        ]
        raised += [log for log in logs if log.reached and rng.random() < 0.006]
        raised = sorted({log.pk: log for log in raised}.values(), key=lambda log: log.contacted_at)
        if len(raised) > 40:  # forty over the year, the latest ones among them
            raised = sorted(rng.sample(raised[:-8], 32) + raised[-8:], key=lambda log: log.contacted_at)
        rows = []
        for log in raised:
            category, description, resolution = rng.choice(CONDITIONS_OF_NEEDS)
            age_days = (self.now - log.contacted_at).days
            if age_days > 21:
                status = NeedStatus.CLOSED if rng.random() < 0.9 else NeedStatus.IN_PROGRESS
            else:
                status = rng.choice(
                    [NeedStatus.OPEN, NeedStatus.OPEN, NeedStatus.IN_PROGRESS, NeedStatus.CLOSED]
                )
            owner = log.by if rng.random() < 0.5 else self.staff
            closed = status == NeedStatus.CLOSED
            rows.append(
                Need(
                    elder_id=log.elder_id,
                    raised_in=log,
                    category=category,
                    description=description,
                    owner=owner,
                    status=status,
                    resolution=resolution if closed else "",
                    created_by=log.by,
                    closed_by=owner if closed else None,
                    closed_at=min(log.contacted_at + datetime.timedelta(days=rng.randint(1, 10)), self.now)
                    if closed
                    else None,
                )
            )
        rows = Need.objects.bulk_create(rows)
        # The raised-at time is the visit's (auto_now_add stamped the seeding time).
        for need, log in zip(rows, raised, strict=True):
            need.created_at = log.contacted_at
        Need.objects.bulk_update(rows, ["created_at"])
        open_ = sum(1 for n in rows if n.status != NeedStatus.CLOSED)
        self.say(f"{len(rows)} needs raised on visits: {len(rows) - open_} closed, {open_} open or in hand.")

    # -- derived state -------------------------------------------------------------------------------------
    def refresh(self, contact_ids: list[int]) -> None:
        """Risk levels for every elder (profiles for those without), contact plans for every elder, then the
        demo's plans' due dates from their logs again (the sync may have changed their frequency)."""
        from .selectors.access import elder_q
        from .services.outreach import contact_plans_sync
        from .services.risk import elder_risk_refresh

        elder_risk_refresh(today=self.today)
        everyone = list(
            Person.objects.filter(elder_q(on=self.today), is_active=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        contact_plans_sync(person_ids=everyone)
        if contact_ids:
            plans = list(ContactPlan.objects.filter(elder_id__in=contact_ids))
            logs = list(
                ContactLog.objects.filter(elder_id__in=contact_ids).only(
                    "elder_id", "contacted_at", "reached"
                )
            )
            self.plan_state(plans, logs)
            # A plan's state feeds the risk (not reached twice): once more, now that it is final.
            elder_risk_refresh(person_ids=contact_ids, today=self.today)


def seed(*, stdout, today: datetime.date | None = None) -> None:
    """Add the elders area to the demo community (see the module's docstring)."""
    today = today or timezone.localdate()
    demo = _Demo(stdout=stdout, today=today)
    if not demo.ready():
        stdout.write("  Elders skipped: the demo community has no staff, nursing home or health centre yet.")
        return
    stdout.write("Elders:")
    ids: list[int] = []

    def contacts():
        ids.extend(demo.contacts())

    def refresh():
        if ids:
            demo.refresh(ids)

    with disable_auditlog():
        for step in (demo.profiles_and_services, demo.clinics, demo.classes, contacts, refresh):
            start = time.perf_counter()
            with transaction.atomic():
                step()
            demo.timings[step.__name__] = round(time.perf_counter() - start, 2)
    stdout.write(f"  ({', '.join(f'{k} {v} s' for k, v in demo.timings.items())})")
    # The seed writes registrations in bulk: the pools' counters from what it wrote.
    pools_recount()
