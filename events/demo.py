"""The demo community's activities (called by ``manage.py seed_demo`` after the community exists).

From the story (see /work/shared/story): the parent-child mini-marathon (亲子迷你马拉松, 2.5 km round the
lake, 300 families, checkpoints and volunteers), the bamboo wind-chime workshop (竹编风铃, 22 families,
full, with a waitlist), the Tuesday-morning Yue opera class (越剧班, where 樊天英 comes every week) and
"our festivals" (我们的节日): the last one (with attendance) and the next one (open for booking); and a
holiday reading class (假期公益班) taking applications for a lottery (more children than places).

Dates are relative to ``today``, so the demo always has a past (with attendance, stamps, volunteer
hours) and a future (bookable). Idempotent: an activity that is already there (by its title) is left
alone, so running it twice gives the same rows. Deterministic: every choice comes from a seeded
``random.Random`` over people read in primary-key order.

Upcoming bookings go through the real service (``booking_create_on_behalf``: staff at the desk book
for residents without a phone, which is how the committee's paper sign-up sheet reaches the portal).
Past bookings, check-ins, stamps and shift sign-ups are written with the ORM in bulk: the services
refuse a session that has started (rightly), and several hundred rows one service call at a time would
make ``make run`` slow. Volunteer hours go through ``hours_credit``.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from auditlog.context import disable_auditlog
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from portal.accounts.models import Role, User
from portal.community.models import Gender, Organization, OrganizationKind, Person, Relation, RelationKind
from portal.holidays.festivals import LunarFestival, festival_date
from portal.holidays.selectors import unknown_years
from portal.volunteers.models import HoursEntry, HoursStatus, VolunteerProfile
from portal.volunteers.services import hours_credit

from .models import (
    Activity,
    ActivityStatus,
    AllocationMode,
    Area,
    Booking,
    CapacityUnit,
    CheckIn,
    CheckInMethod,
    Checkpoint,
    EarlyWindowFor,
    PriorityTier,
    Registration,
    RegistrationScope,
    RegistrationStatus,
    Session,
    Shift,
    ShiftSignup,
    Stamp,
    TargetGroup,
)
from .services import (
    booking_create_on_behalf,
    lottery_commitment_ensure,
    pools_recount,
    sessions_generate_weekly,
)
from .services.shifts import shift_hours

SEED = 20260330  # the story's marathon day
ORGANISER = "永兴社区新时代文明实践站"

MARATHON = "亲子迷你马拉松（环紫琅湖 2.5 公里）"
BAMBOO = "非遗进社区·竹编风铃亲子手工坊"
OPERA = "越剧班（每周二上午）"
HOLIDAY_CLASS = "假期公益班·小古文阅读（报名后抽签）"
LOTTERY_READY = "寒假托管班·科学小实验（报名已截止，待抽签）"
EARLY_WINDOW = "长者智能手机课堂（困难家庭优先报名中）"
#: The priority group of the lottery's first tier and of the early window (低保户 and 困难家庭).
HARDSHIP_GROUP = ("dibao-hardship", "低保/困难家庭")

#: name, position, required, where
CHECKPOINTS = [
    ("起点签到", 1, True, "紫琅湖公园南门广场"),
    ("1.2 km 补给站", 2, False, "“能量补给站”：饮用水、香蕉"),
    ("折返点", 3, True, "湖心桥东侧，“加油击掌”打卡"),
    ("终点", 4, True, "南门广场：完赛奖牌、健康礼包、家庭教育展板"),
]
#: role, checkpoint position (or None), slots, start and end (hours after 7:00), what to do
SHIFTS = [
    ("签到引导", 1, 4, (0.5, 2.5), "扫码签到，发放号码布"),
    ("能量补给站", 2, 4, (1.0, 3.5), "递水、补给，“加油击掌”"),
    ("折返点打卡", 3, 3, (1.0, 3.5), "盖章打卡，提醒注意安全"),
    ("终点颁奖", 4, 4, (1.5, 4.0), "发放完赛奖牌、健康礼包和育儿手册"),
    ("摄影摄像", None, 2, (0.5, 4.0), "拍照、短视频"),
]

#: "Our festivals" (我们的节日): festival, its name on the poster, what happens. The dates are computed on the
#: lunar calendar (portal.holidays.festivals), whatever the year the demo is built in.
FESTIVALS = [
    (LunarFestival.LANTERN, "元宵", "猜灯谜、做汤圆"),
    (LunarFestival.DRAGON_BOAT, "端午", "包粽子、做香囊"),
    (LunarFestival.MID_AUTUMN, "中秋", "月饼DIY、诵读中秋诗词"),
    (LunarFestival.DOUBLE_NINTH, "重阳", "敬老包饺子、义诊"),
    (LunarFestival.WINTER_SOLSTICE, "冬至", "邻里包饺子"),
]


def _at(day: datetime.date, hour: float) -> datetime.datetime:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=tz)
    return start + datetime.timedelta(hours=hour)


def _saturday_on_or_after(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(5 - day.weekday()) % 7)


def _saturday_on_or_before(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=(day.weekday() - 5) % 7)


def festivals_around(today: datetime.date) -> tuple[tuple, tuple]:
    """The last festival before ``today`` and the next one after it: (date, name, what happens)."""
    days = sorted(
        (festival_date(code, year), name, what)
        for year in (today.year - 1, today.year, today.year + 1)
        for code, name, what in FESTIVALS
    )
    past = [f for f in days if f[0] < today]
    future = [f for f in days if f[0] > today]
    return past[-1], future[0]


class _Demo:
    def __init__(self, *, stdout, today: datetime.date, staff: User, organiser: Organization):
        self.out = stdout
        self.today = today
        # The demo's "now": booking windows, statuses and which sessions already took place (with their
        # check-ins) are relative to it. Seeding today, it is the real time of day: a Tuesday's opera
        # class that began at nine has its check-ins when the demo is built at ten, and none yet at eight.
        # Another day (tests of the calendar): nine in the morning of that day.
        self.now = timezone.now() if today == timezone.localdate() else _at(today, 9)
        self.staff = staff
        self.organiser = organiser

    # -- helpers ------------------------------------------------------------------------------------
    def activity(
        self, title: str, *, organiser: Organization | None = None, **fields
    ) -> tuple[Activity, bool]:
        organiser = organiser or self.organiser
        existing = Activity.objects.filter(title=title, organiser_org=organiser).first()
        if existing is not None:
            return existing, False
        fields.setdefault("status", ActivityStatus.PUBLISHED)
        fields.setdefault("allocation", AllocationMode.FCFS)
        return (
            Activity.objects.create(title=title, organiser_org=organiser, created_by=self.staff, **fields),
            True,
        )

    def families(self, *, min_age: int, max_age: int) -> list[tuple[Person, list[Person]]]:
        """(guardian, children) pairs from the demo's households: in each household the children aged
        ``min_age``-``max_age`` are shared out among their guardians, so each guardian-with-children is one
        family unit (one person is booked once per session)."""
        kids = (
            Person.objects.active()
            .aged_at_least(min_age)
            .aged_under(max_age + 1)
            .filter(household__isnull=False)
        )
        rels = (
            Relation.objects.filter(kind=RelationKind.GUARDIAN, relative__in=kids, subject__is_active=True)
            .select_related("subject", "relative")
            .order_by("relative__household_id", "relative_id", "subject_id")
        )
        by_household: dict[int, dict] = defaultdict(lambda: {"guardians": {}, "children": {}})
        for rel in rels:
            home = by_household[rel.relative.household_id]
            home["guardians"].setdefault(rel.subject_id, rel.subject)
            home["children"].setdefault(rel.relative_id, rel.relative)
        out = []
        for household_id in sorted(by_household):
            home = by_household[household_id]
            guardians = list(home["guardians"].values())
            share: dict[int, list[Person]] = defaultdict(list)
            for i, child in enumerate(home["children"].values()):
                share[i % len(guardians)].append(child)
            out += [(guardians[i], share[i]) for i in sorted(share)]
        return out

    def guest_families(self, count: int, rng: random.Random) -> list[list[Person]]:
        """Families from neighbouring communities (the marathon is open to all): a parent and a child, kept
        as person records without a household, as staff type them in from the paper sign-up sheet."""
        surnames = list("陈张王李刘朱顾吴徐周施黄曹邱季葛缪秦")
        parent_names = list("丽静芳婷敏燕军强伟杰磊涛红霞娟勇")
        child_names = [
            *["子涵", "一诺", "欣怡", "梓轩", "浩然", "雨桐", "若汐", "思远", "语嫣", "俊熙", "沐阳", "可馨"]
        ]
        out = []
        for i in range(count):
            surname = surnames[i % len(surnames)]
            parent = Person.objects.create(
                name=f"{surname}{rng.choice(parent_names)}{rng.choice(parent_names)}",
                gender=rng.choice([Gender.FEMALE, Gender.MALE]),
                birth_date=self.today.replace(year=self.today.year - rng.randint(29, 44), day=1),
                created_by=self.staff,
            )
            child = Person.objects.create(
                name=f"{surname}{rng.choice(child_names)}",
                gender=rng.choice([Gender.FEMALE, Gender.MALE]),
                birth_date=self.today.replace(year=self.today.year - rng.randint(4, 12), day=1),
                created_by=self.staff,
            )
            out.append([parent, child])
        return out

    def bulk_book(
        self, *, activity: Activity, session: Session | None, groups: list[list[Person]]
    ) -> list[Registration]:
        """Confirmed bookings written in bulk (a past session: the paper sign-up sheet, typed in by staff)."""
        bookings = Booking.objects.bulk_create(
            [
                Booking(activity=activity, session=session, booked_by=self.staff, on_behalf=True)
                for _ in groups
            ]
        )
        regs = [
            Registration(
                booking=booking,
                activity=activity,
                session=session,
                person=person,
                status=RegistrationStatus.CONFIRMED,
            )
            for booking, group in zip(bookings, groups, strict=True)
            for person in group
        ]
        return Registration.objects.bulk_create(regs)

    def bulk_checkin(self, *, session: Session, regs: list[Registration]) -> list[CheckIn]:
        rng = random.Random(f"{SEED}-checkin-{session.starts_at:%Y%m%d}")
        return CheckIn.objects.bulk_create(
            [
                CheckIn(
                    registration=reg,
                    session=session,
                    checked_in_at=session.starts_at - datetime.timedelta(minutes=rng.randint(0, 25)),
                    checked_in_by=self.staff,
                    method=CheckInMethod.STAFF_SCAN if rng.random() < 0.8 else CheckInMethod.STAFF_SEARCH,
                )
                for reg in regs
            ]
        )

    def book_upcoming(
        self, *, activity: Activity, session: Session | None, groups: list[list[Person]]
    ) -> list[Booking]:
        """Upcoming bookings through the real service: capacity, waitlist, reminders as for anyone."""
        return [
            booking_create_on_behalf(
                staff=self.staff, activity=activity, session=session, persons=group, now=self.now
            )
            for group in groups
        ]

    def say(self, text: str) -> None:
        self.out.write(f"  {text}")

    # -- the activities -----------------------------------------------------------------------------
    def marathon(self) -> None:
        past_day = _saturday_on_or_before(self.today - datetime.timedelta(days=35))
        next_day = _saturday_on_or_after(self.today + datetime.timedelta(days=25))
        activity, created = self.activity(
            MARATHON,
            area=Area.COMMUNITY,
            description=(
                "家长与孩子手拉手，沿环紫琅湖赛道跑完 2.5 公里，沿途打卡互动点。完赛家庭获得奖牌和健康礼包，"
                "终点设家庭教育展板、发放科学育儿手册。每组家庭为一名家长加孩子。"
            ),
            place="紫琅湖公园（环湖赛道）",
            capacity_unit=CapacityUnit.FAMILY,
            registration_scope=RegistrationScope.SESSION,
            residents_only=False,
            booking_opens_at=self.now - datetime.timedelta(days=20),
            booking_closes_at=_at(next_day, 0) - datetime.timedelta(days=2),
        )
        if created:
            past = Session.objects.create(
                activity=activity, starts_at=_at(past_day, 8.5), ends_at=_at(past_day, 11), capacity=300
            )
            upcoming = Session.objects.create(
                activity=activity, starts_at=_at(next_day, 8.5), ends_at=_at(next_day, 11), capacity=300
            )
            checkpoints = Checkpoint.objects.bulk_create(
                [
                    Checkpoint(activity=activity, name=name, position=pos, required=req, description=where)
                    for name, pos, req, where in CHECKPOINTS
                ]
            )
            rng = random.Random(f"{SEED}-marathon")
            families = self.families(min_age=3, max_age=16)
            # About 300 families, as in the story: the community's own, and families from nearby.
            guests = self.guest_families(max(0, 298 - len(families)), rng)
            # The past edition: every family that signed up on paper; about nine in ten came.
            regs = self.bulk_book(
                activity=activity, session=past, groups=[[g, *kids] for g, kids in families] + guests
            )
            by_booking: dict[int, list[Registration]] = defaultdict(list)
            for reg in regs:
                by_booking[reg.booking_id].append(reg)
            came = [group for group in by_booking.values() if rng.random() < 0.9]
            self.bulk_checkin(session=past, regs=[r for group in came for r in group])
            self.stamps(session=past, checkpoints=checkpoints, families=came, rng=rng)
            self.shifts(session=past, checkpoints=checkpoints, rng=rng, done=True)
            # The next edition: bookings open now; nearly every family of the last one has booked again.
            again = [[g, *kids] for g, kids in families if rng.random() < 0.95]
            again += [group for group in guests if rng.random() < 0.5]
            self.bulk_book(activity=activity, session=upcoming, groups=again)
            self.shifts(session=upcoming, checkpoints=checkpoints, rng=rng, done=False)
        self.report(activity)
        required = activity.checkpoints.filter(required=True)
        finishers = (
            Registration.objects.filter(activity=activity)
            .annotate(n=Count("stamps", filter=Q(stamps__checkpoint__in=required), distinct=True))
            .filter(n=required.count())
            .count()
        )
        self.say(
            f"  {Stamp.objects.filter(checkpoint__activity=activity).count()} stamps, {finishers} finishers; "
            f"{ShiftSignup.objects.filter(shift__session__activity=activity).count()} volunteer sign-ups, "
            f"{HoursEntry.objects.filter(source_key__startswith='events.shiftsignup:').count()} hours entries"
        )

    def stamps(
        self, *, session: Session, checkpoints: list[Checkpoint], families, rng: random.Random
    ) -> None:
        chance = {1: 1.0, 2: 0.85, 3: 0.97, 4: 0.95}
        rows = []
        for group in families:
            for cp in checkpoints:
                if rng.random() >= chance[cp.position]:
                    continue
                when = session.starts_at + datetime.timedelta(
                    minutes=(cp.position - 1) * 12 + rng.randint(0, 10)
                )
                rows += [
                    Stamp(
                        checkpoint=cp,
                        registration=reg,
                        session=session,
                        stamped_at=when,
                        stamped_by=self.staff,
                    )
                    for reg in group
                ]
        Stamp.objects.bulk_create(rows)

    def shifts(
        self, *, session: Session, checkpoints: list[Checkpoint], rng: random.Random, done: bool
    ) -> None:
        by_pos = {cp.position: cp for cp in checkpoints}
        day = timezone.localtime(session.starts_at).date()
        shifts = Shift.objects.bulk_create(
            [
                Shift(
                    session=session,
                    role=role,
                    description=what,
                    slots=slots,
                    starts_at=_at(day, 7 + start),
                    ends_at=_at(day, 7 + end),
                    checkpoint=by_pos.get(pos),
                )
                for role, pos, slots, (start, end), what in SHIFTS
            ]
        )
        volunteers = list(VolunteerProfile.objects.active().order_by("pk"))
        rng.shuffle(volunteers)
        if done:
            # The volunteer demo login worked the last edition, so her hours page and certificate have
            # something to show (moving her to the front uses no random numbers: the rest is unchanged).
            login = set(
                VolunteerProfile.objects.filter(
                    person__user__role=Role.VOLUNTEER, person__user__is_active=True
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:1]
            )
            volunteers = [v for v in volunteers if v.pk in login] + [
                v for v in volunteers if v.pk not in login
            ]
        pool = iter(volunteers)
        signups = []
        for shift in shifts:
            wanted = shift.slots if done else max(1, shift.slots - 1)
            for volunteer in [v for v in (next(pool, None) for _ in range(wanted)) if v is not None]:
                signup = ShiftSignup(shift=shift, volunteer=volunteer)
                if done:
                    signup.checked_in_at = shift.starts_at - datetime.timedelta(minutes=rng.randint(3, 15))
                    signup.checked_out_at = shift.ends_at + datetime.timedelta(minutes=rng.randint(0, 20))
                signups.append(signup)
        if done and signups:
            # One volunteer forgot to check out: the periodic job closed her shift at its end.
            forgot = signups[-1]
            forgot.checked_out_at = forgot.shift.ends_at
            forgot.auto_closed = True
        signups = ShiftSignup.objects.bulk_create(signups)
        if done:
            self.hours(signups=signups, rng=rng)

    def hours(self, *, signups: list[ShiftSignup], rng: random.Random) -> None:
        """The ledger, credited through ``hours_credit`` with the shift rule's hours (``shift_hours``):
        most approved, a few awaiting approval, the auto-closed one flagged for review. The approvals are
        one bulk update (``hours_approve`` writes an audit entry per decision, which demo rows keep out of)."""
        if not signups:
            return
        approved = []
        for i, signup in enumerate(signups):
            entry = hours_credit(
                volunteer=signup.volunteer,
                date=timezone.localtime(signup.shift.starts_at).date(),
                hours=shift_hours(
                    shift=signup.shift,
                    checked_in_at=signup.checked_in_at,
                    checked_out_at=signup.checked_out_at,
                ),
                description=f"{signup.shift.session.activity.title} · {signup.shift.role}",
                source_key=f"events.shiftsignup:{signup.pk}",
                flagged=signup.auto_closed,
                flag_reason="无人签退，系统在班次结束时自动签退，请核实时长" if signup.auto_closed else "",
            )
            if not signup.auto_closed and i % 4 != 3:
                approved.append(entry.pk)
        decided_at = max(s.checked_out_at for s in signups) + datetime.timedelta(days=rng.randint(1, 3))
        HoursEntry.objects.filter(pk__in=approved).update(
            status=HoursStatus.APPROVED, decided_by=self.staff, decided_at=decided_at
        )

    def bamboo(self) -> None:
        day = _saturday_on_or_after(self.today + datetime.timedelta(days=8))
        activity, created = self.activity(
            BAMBOO,
            area=Area.YOUTH,
            description=(
                "关工委“非遗进社区”：竹编老艺人带领 22 组家庭制作竹编风铃，体验竹编这门古老艺术，"
                "了解我国非物质文化遗产。每组家庭为一名家长加孩子，材料由社区提供。"
            ),
            place="永兴社区新时代文明实践站 手工活动室",
            capacity_unit=CapacityUnit.FAMILY,
            registration_scope=RegistrationScope.SESSION,
            residents_only=True,
            booking_opens_at=self.now - datetime.timedelta(days=5),
            booking_closes_at=_at(day, 0) - datetime.timedelta(days=1),
        )
        if created:
            session = Session.objects.create(
                activity=activity, starts_at=_at(day, 14), ends_at=_at(day, 16), capacity=22
            )
            families = self.families(min_age=6, max_age=12)
            random.Random(f"{SEED}-bamboo").shuffle(families)
            # 22 families fill it; four more wait (the waitlist, in arrival order).
            self.book_upcoming(
                activity=activity, session=session, groups=[[g, *kids] for g, kids in families[:26]]
            )
        self.report(activity)

    def opera(self) -> None:
        activity, created = self.activity(
            OPERA,
            area=Area.ELDERS,
            description=(
                "每周二上午九点到十一点，老师带大家学唱越剧经典选段。节假日停课。"
                "志愿者帮大家拍视频、教大家开设抖音账号上传作品，老少同乐。"
            ),
            place="永兴社区综合文化中心 多功能厅",
            registration_scope=RegistrationScope.COURSE,
            capacity=30,
            min_age=55,
            residents_only=True,
            booking_opens_at=self.now - datetime.timedelta(days=100),
            booking_closes_at=self.now + datetime.timedelta(days=50),
            cancel_hours_before=2,
        )
        if created:
            first = self.today - datetime.timedelta(days=84)
            last = self.today + datetime.timedelta(days=56)
            rule = {
                "actor": self.staff,
                "activity": activity,
                "weekdays": [1],
                "start_time": datetime.time(9, 0),
                "end_time": datetime.time(11, 0),
                "capacity": 30,
            }
            # The portal's official calendar (portal.holidays): public holidays are skipped in every year
            # it holds; a year not entered yet is not checked (staff are warned on the manage pages).
            sessions = sessions_generate_weekly(first=first, last=last, **rule)
            if missing := unknown_years(first, last):
                self.say(f"(no holiday arrangement held for {missing}: Tuesdays then are not checked)")
            rng = random.Random(f"{SEED}-opera")
            fan = list(Person.objects.filter(name="樊天英", household__isnull=False).order_by("pk")[:1])
            others = list(
                Person.objects.active()
                .aged_at_least(60)
                .aged_under(80)
                .filter(household__isnull=False)
                .exclude(pk__in=[p.pk for p in fan])
                .order_by("pk")
            )
            members = fan + rng.sample(others, min(23, len(others)))
            # Booked through the service (a course: one registration covers every Tuesday).
            bookings = self.book_upcoming(activity=activity, session=None, groups=[[p] for p in members])
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
                    if reg.person.name == "樊天英" or rng.random() < 0.8
                ]
            CheckIn.objects.bulk_create(rows)
        self.report(activity)

    def festivals(self) -> None:
        (last_day, last_name, last_what), (next_day, next_name, next_what) = festivals_around(self.today)
        for day, name, what, past in (
            (last_day, last_name, last_what, True),
            (next_day, next_name, next_what, False),
        ):
            # 重阳 (the elders' festival) is run with the partner nursing home, whose staff manage it.
            nursing_home = (
                Organization.objects.filter(kind=OrganizationKind.NURSING_HOME).order_by("pk").first()
            )
            activity, created = self.activity(
                f"我们的节日·{name}（{day:%Y}）：{what}",
                organiser=nursing_home if name == "重阳" else None,
                area=Area.COMMUNITY,
                description=(
                    f"“我们的节日”主题活动：{what}。退休干部、文艺爱好者和志愿者带领老人和孩子一起参与，老少同乐。"
                ),
                place="永兴社区新时代文明实践站",
                registration_scope=RegistrationScope.SESSION,
                residents_only=True,
                booking_opens_at=_at(day, 0) - datetime.timedelta(days=30),
                booking_closes_at=_at(day, 0),
            )
            if created:
                session = Session.objects.create(
                    activity=activity, starts_at=_at(day, 9), ends_at=_at(day, 11.5), capacity=60
                )
                rng = random.Random(f"{SEED}-festival-{day}")
                families = self.families(min_age=3, max_age=14)
                rng.shuffle(families)
                elders = list(
                    Person.objects.active().aged_at_least(60).filter(household__isnull=False).order_by("pk")
                )
                groups = [[g, *kids] for g, kids in families[:14]] + [
                    [p] for p in rng.sample(elders, min(18, len(elders)))
                ]
                if past:
                    regs = self.bulk_book(activity=activity, session=session, groups=groups)
                    self.bulk_checkin(session=session, regs=[r for r in regs if rng.random() < 0.9])
                elif session.starts_at > self.now and activity.booking_opens_at <= self.now:
                    self.book_upcoming(activity=activity, session=session, groups=groups[:10])
            self.report(activity)

    def holiday_class(self) -> None:
        """A holiday class with more applicants than places: applications now, a seeded draw when the
        window closes (staff run it from the activity page)."""
        monday = self.today + datetime.timedelta(days=45)
        monday += datetime.timedelta(days=(7 - monday.weekday()) % 7)
        activity, created = self.activity(
            HOLIDAY_CLASS,
            area=Area.YOUTH,
            description="假期公益班：小古文阅读，连续五个上午。报名人数超过名额时公开抽签，种子公布，人人可复核。",
            place="永兴社区新时代文明实践站 阅览室",
            allocation=AllocationMode.LOTTERY,
            registration_scope=RegistrationScope.COURSE,
            capacity=20,
            min_age=6,
            max_age=12,
            residents_only=True,
            booking_opens_at=self.now - datetime.timedelta(days=3),
            booking_closes_at=self.now + datetime.timedelta(days=14),
        )
        if created:
            Session.objects.bulk_create(
                [
                    Session(
                        activity=activity,
                        starts_at=_at(monday + datetime.timedelta(days=i), 9),
                        ends_at=_at(monday + datetime.timedelta(days=i), 11),
                        capacity=20,
                    )
                    for i in range(5)
                ]
            )
            # The seed is committed before the first application (made when the window opened).
            lottery_commitment_ensure(activity=activity, now=activity.booking_opens_at)
            families = self.families(min_age=6, max_age=12)
            random.Random(f"{SEED}-holiday-class").shuffle(families)
            self.book_upcoming(activity=activity, session=None, groups=[kids for _g, kids in families[:24]])
        self.report(activity)

    def hardship_group(self) -> TargetGroup:
        """低保/困难家庭: a few children of demo families and a few elders (deterministic: by primary key)."""
        code, name = HARDSHIP_GROUP
        group, created = TargetGroup.objects.get_or_create(
            code=code, defaults={"name": name, "description": "低保户、困难家庭，由社区工作人员登记。"}
        )
        if created:
            kids = [kid for _g, kids in self.families(min_age=6, max_age=12)[::5] for kid in kids]
            elders = list(
                Person.objects.active().aged_at_least(65).filter(household__isnull=False).order_by("pk")[:8]
            )
            group.members.add(*kids, *elders)
        return group

    def lottery_ready(self) -> None:
        """A lottery whose applications have closed, ready to draw: 10 places, about 20 families, priority
        tiers (1: 低保/困难家庭, 2: residents; the rest after them). Its seed was committed when the window
        opened, before the first application; applications were made inside the window."""
        opens = self.now - datetime.timedelta(days=10)
        closes = self.now - datetime.timedelta(days=1)
        first_day = self.today + datetime.timedelta(days=20)
        activity, created = self.activity(
            LOTTERY_READY,
            area=Area.YOUTH,
            description="寒假托管班：科学小实验，连续三个上午。报名已截止，报名家庭多于名额，"
            "由工作人员公开抽签：低保/困难家庭优先，其次本社区居民。",
            place="永兴社区新时代文明实践站 多功能室",
            allocation=AllocationMode.LOTTERY,
            registration_scope=RegistrationScope.COURSE,
            capacity=10,
            min_age=6,
            max_age=12,
            booking_opens_at=opens,
            booking_closes_at=closes,
        )
        if created:
            group = self.hardship_group()
            PriorityTier.objects.create(activity=activity, rank=1, group=group)
            PriorityTier.objects.create(activity=activity, rank=2, residents=True)
            Session.objects.bulk_create(
                [
                    Session(
                        activity=activity,
                        starts_at=_at(first_day + datetime.timedelta(days=i), 9),
                        ends_at=_at(first_day + datetime.timedelta(days=i), 11),
                        capacity=10,
                    )
                    for i in range(3)
                ]
            )
            lottery_commitment_ensure(activity=activity, now=opens - datetime.timedelta(hours=1))
            # 6 to 11 today: still within 6 to 12 on the days of the class, three weeks on.
            families = self.families(min_age=6, max_age=11)
            random.Random(f"{SEED}-lottery-ready").shuffle(families)
            for i, (_guardian, kids) in enumerate(families[:20]):
                when = opens + datetime.timedelta(hours=3 + 9 * i)
                booking = booking_create_on_behalf(
                    staff=self.staff, activity=activity, session=None, persons=kids, now=when
                )
                # When it was made, inside the window (the service stamps the time it runs).
                Booking.objects.filter(pk=booking.pk).update(created_at=when)
                Registration.objects.filter(booking=booking).update(created_at=when)
        self.report(activity)

    def early_window(self) -> None:
        """A class in its early window: 低保/困难家庭 may book now, everyone from the day after tomorrow."""
        first_day = self.today + datetime.timedelta(days=9)
        activity, created = self.activity(
            EARLY_WINDOW,
            area=Area.ELDERS,
            description="教长者用手机挂号、视频通话、识别诈骗电话。低保/困难家庭可提前预约，"
            "两天后向全体居民开放。",
            place="永兴社区党群服务中心 二楼教室",
            capacity_unit=CapacityUnit.PERSON,
            min_age=60,
            early_opens_at=self.now - datetime.timedelta(days=1),
            early_for=EarlyWindowFor.GROUP,
            early_group=self.hardship_group(),
            booking_opens_at=self.now + datetime.timedelta(days=2),
            booking_closes_at=self.now + datetime.timedelta(days=8),
        )
        if created:
            session = Session.objects.create(
                activity=activity, starts_at=_at(first_day, 14), ends_at=_at(first_day, 16), capacity=15
            )
            elders = list(
                Person.objects.filter(target_groups=activity.early_group).aged_at_least(60).order_by("pk")
            )
            self.book_upcoming(activity=activity, session=session, groups=[[p] for p in elders[:3]])
        self.report(activity)

    def report(self, activity: Activity) -> None:
        regs = activity.registrations
        parts = [
            (activity.sessions.count(), "sessions"),
            (activity.bookings.count(), "bookings"),
            (regs.filter(status=RegistrationStatus.CONFIRMED).count(), "confirmed"),
            (regs.filter(status=RegistrationStatus.WAITLISTED).count(), "waitlisted"),
            (regs.filter(status=RegistrationStatus.APPLIED).count(), "lottery applications"),
            (CheckIn.objects.filter(session__activity=activity).count(), "check-ins"),
        ]
        self.say(f"{activity.title}: " + ", ".join(f"{n} {what}" for n, what in parts if n))


def seed(*, stdout, today: datetime.date | None = None) -> None:
    """Add the story's activities to the demo community (see the module's docstring)."""
    today = today or timezone.localdate()
    staff = User.objects.filter(role=Role.COMMUNITY_STAFF, is_active=True).order_by("pk").first()
    organiser = Organization.objects.filter(name=ORGANISER).first()
    if staff is None or organiser is None:
        stdout.write("  Activities skipped: the demo community has no staff account or organiser yet.")
        return
    demo = _Demo(stdout=stdout, today=today, staff=staff, organiser=organiser)
    stdout.write("Activities:")
    with disable_auditlog():
        for step in (
            demo.marathon,
            demo.bamboo,
            demo.opera,
            demo.festivals,
            demo.holiday_class,
            demo.lottery_ready,
            demo.early_window,
        ):
            with transaction.atomic():
                step()
        # The seed writes registrations in bulk: the pools' counters from what it wrote.
        pools_recount()
