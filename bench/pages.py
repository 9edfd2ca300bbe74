"""Page costs: query counts at 10 and at 10,000 rows, and server time as a ratio to a bare page.

    python bench/pages.py                 # scratch SQLite file in a temporary directory
    DATABASE_URL=postgres://... python bench/pages.py     # scratch database test_<name> on that server
    BENCH_REQUESTS=50 python bench/pages.py               # requests per page for the median (default 30)
    BENCH_PAGES=inbox,my_family python bench/pages.py     # only these pages (the floors are always measured)

For each page of the platform (home, login, signup, my family, the workbench people search, a person's
workbench detail, the inbox, the profile, the privacy notice) and of the elders area (issue 11: the elder
list, an elder's page, the volunteer's roster of visits and calls, the overdue list, the clinic entry page,
the classes and clinics page) it measures, with django.test.Client:

* the number of queries one request costs with 10 rows and with 10,000 rows (residents in the staff
  member's grid, messages in the resident's inbox, and elders: each with a profile, a contact plan held by
  the volunteer (a third of them overdue) and a visit with a reading at today's clinic); the two must be
  equal;
* the median server time over N requests at 10,000 rows, and its ratio to the median of a bare view that
  renders base.html in the same run (the floor: middleware, session, context processors, layout):
  ``ratio`` against the anonymous floor, ``ratio_signed_in_floor`` against the same bare view requested by
  the page's own kind of viewer (resident, staff, volunteer; anonymous pages use the anonymous floor), so
  that the signed-in navigation and context processors are in the floor too (issue 13: at most 3x);
* the mean CPU time of one request (this process plus its PostgreSQL backend, from
  ``/proc/<pid>/schedstat`` when the server is on this machine) and ``cpu_ratio_signed_in_floor``, its
  ratio to the same floor's: the figure that holds on a busy machine, where the wall time also counts the
  waits for a core;
* ``cpu_ratio_paired_floor``: the same ratio against a floor requested in turn with the page (floor, page,
  floor, page, ...), so that both are measured on the same machine at the same moment. On a shared 2-core
  VM the floor measured once at the end moved by a third between runs, and every ratio with it; the paired
  floor is the one ``over_3x_paired_floor_cpu`` (issue 13's figure) is read against. The page's CPU is
  also given in its two parts, ``cpu_process_seconds`` (this process: Python, the ORM, the templates) and
  ``cpu_database_seconds`` (its PostgreSQL backend), and ``cpu_process_ratio_paired_floor`` is the first
  part alone against the whole floor.

On PostgreSQL the tables are VACUUM ANALYZEd after the rows are built, so that plans see real statistics.

Pages whose URL name does not resolve yet are reported as "missing". The last line of output is one
JSON object.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import types
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

SMALL, LARGE = 10, 10_000
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "30"))
# Optional comma-separated page keys to measure (others skipped), for measuring one change at a time.
ONLY = {key for key in os.environ.get("BENCH_PAGES", "").split(",") if key}
SEARCH_TERM = "王"

import _scratch  # noqa: E402  (Django on a scratch database)
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.shortcuts import render  # noqa: E402
from django.template.base import Template  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import NoReverseMatch, clear_url_caches, path, reverse  # noqa: E402
from django.utils import timezone  # noqa: E402


def floor_view(request):
    return render(request, "base.html")


def install_urlconf():
    """The portal's URLs plus the floor page, under a throwaway URLconf module."""
    import portal.urls

    module = types.ModuleType("bench_pages_urls")
    module.urlpatterns = [path("__bench_floor__/", floor_view, name="bench_floor"), *portal.urls.urlpatterns]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    clear_url_caches()


# --- data ----------------------------------------------------------------------------------------------
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = [
    "秀英",
    "建国",
    "晓燕",
    "子轩",
    "桂兰",
    "志明",
    "雨桐",
    "海燕",
    "德明",
    "浩然",
    "丽",
    "伟",
    "静",
    "强",
]


class World:
    """The fixed cast (staff, a resident with family) and a grid that grows from 10 to 10,000 residents."""

    def __init__(self):
        from portal.accounts.models import Role, User
        from portal.community import models as m

        self.m = m
        self.grid = m.Grid.objects.create(name="基准网格")
        self.estate = m.Estate.objects.create(name="基准小区")
        self.buildings = [
            m.Building.objects.create(estate=self.estate, number=str(n), grid=self.grid) for n in range(1, 11)
        ]
        self.staff = User.objects.create_user(
            "+8613900000001", "bench-pass-1", name="社区工作人员", role=Role.COMMUNITY_STAFF, is_staff=True
        )
        self.resident = User.objects.create_user("+8613900000002", "bench-pass-2", name="朱晓燕")
        home = m.Household.objects.create(building=self.buildings[0], unit="0", room="0001")
        me = m.Person.objects.create(name="朱晓燕", household=home, user=self.resident, birth_date=_born(38))
        mother_home = m.Household.objects.create(building=self.buildings[0], unit="0", room="0002")
        self.mother = m.Person.objects.create(name="王秀英", household=mother_home, birth_date=_born(84))
        m.SensitiveProfile.objects.create(person=self.mother, health_conditions="高血压", care_level="半失能")
        m.Relation.objects.create(subject=me, relative=self.mother, kind=m.RelationKind.CARER)
        for name, age in (("刘子轩", 10), ("刘雨桐", 6)):
            child = m.Person.objects.create(name=name, household=home, birth_date=_born(age))
            m.Relation.objects.create(subject=me, relative=child, kind=m.RelationKind.GUARDIAN)
        # Staff pages of the sensitive areas need two-factor sign-in turned on (portal.accounts.middleware):
        # without it every staff page measured here would be the redirect to turning it on.
        from allauth.mfa.totp.internal.auth import TOTP

        TOTP.activate(self.staff, "BENCHPAGESSTAFFTOTPSECRETZHAOXI2")
        self.volunteer = User.objects.create_user(
            "+8613900000003", "bench-pass-3", name="李欣怡", role=Role.VOLUNTEER
        )
        self.people = 0
        self.households = 0
        self.messages = 0
        self.message_error = ""
        self.elders = 0
        self.elder_error = ""
        self.clinic_session = None
        self._elder_setup()
        # The youth area (issue 12): a day-care session today, children booked and signed in.
        self.children = 0
        self.youth_error = ""
        self.daycare_session = None
        self.daycare_child = None
        _youth_setup(self)

    def _elder_setup(self):
        """The elders area's fixed part: the mother's profile and a clinic session under way today."""
        try:
            import datetime

            from elders.models import ElderProfile
            from events.models import Activity, Area, Session

            ElderProfile.objects.create(person=self.mother, helper=self.volunteer, helper_kind="volunteer")
            clinic = Activity.objects.create(
                title="便民服务驿站·健康义诊",
                area=Area.ELDERS,
                organiser_user=self.staff,
                place="便民服务驿站",
                status="published",
                min_age=60,
            )
            start = timezone.now() - datetime.timedelta(hours=1)
            self.clinic_session = Session.objects.create(
                activity=clinic, starts_at=start, ends_at=start + datetime.timedelta(hours=3), capacity=20_000
            )
        except Exception as exc:  # noqa: BLE001 - the area is young; report, do not stop the bench
            self.elder_error = f"{type(exc).__name__}: {exc}"

    def grow_to(self, rows: int):
        from portal.community.search import pinyin_keys

        m = self.m
        need = rows - self.people
        households = []
        for _ in range(0, need, 3):  # three residents to a household
            k = self.households
            self.households += 1
            households.append(
                m.Household(
                    building=self.buildings[k % 10], unit=str(1 + k // 1000), room=f"{k % 1000 + 1:04d}"
                )
            )
        households = m.Household.objects.bulk_create(households, batch_size=1000)
        people = []
        for n in range(need):
            i = self.people + n
            name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i // len(SURNAMES)) % len(GIVEN)]
            full, initials = pinyin_keys(name)
            people.append(
                m.Person(
                    name=name,
                    name_pinyin=full,
                    name_initials=initials,
                    birth_date=_born(1 + i % 95),
                    household=households[n // 3],
                    gender="F" if i % 2 else "M",
                )
            )
        m.Person.objects.bulk_create(people, batch_size=1000)
        self.people = rows
        self.grow_inbox(rows)
        self.grow_elders(rows)
        _youth_grow(self, rows)

    def grow_elders(self, rows: int):
        """Elders aged 60 to 99 in the grid, each with a profile (the volunteer her helper), a contact plan
        held by the volunteer (every third one overdue) and a visit at today's clinic (checked in, one blood
        pressure reading)."""
        if self.elder_error or self.clinic_session is None:
            return
        import datetime

        from elders.models import ContactPlan, ElderProfile, Reading
        from events.models import Booking, CheckIn, Registration
        from portal.community.search import pinyin_keys

        m = self.m
        need = rows - self.elders
        if need <= 0:
            return
        try:
            today = timezone.localdate()
            homes = m.Household.objects.bulk_create(
                [
                    m.Household(building=self.buildings[k % 10], unit="9", room=f"{self.elders + k + 1:05d}")
                    for k in range(need)
                ],
                batch_size=1000,
            )
            elders = []
            for n in range(need):
                i = self.elders + n
                name = SURNAMES[(i + 7) % len(SURNAMES)] + GIVEN[(i // 3) % len(GIVEN)]
                full, initials = pinyin_keys(name)
                elders.append(
                    m.Person(
                        name=name,
                        name_pinyin=full,
                        name_initials=initials,
                        birth_date=_born(60 + i % 40),
                        household=homes[n],
                        gender="F" if i % 3 else "M",
                        lives_alone=bool(i % 2),
                    )
                )
            elders = m.Person.objects.bulk_create(elders, batch_size=1000)
            ElderProfile.objects.bulk_create(
                [ElderProfile(person=p, helper=self.volunteer, helper_kind="volunteer") for p in elders],
                batch_size=1000,
            )
            ContactPlan.objects.bulk_create(
                [
                    ContactPlan(
                        elder=p,
                        every_days=30,
                        assigned_to=self.volunteer,
                        starts_on=today - datetime.timedelta(days=90),
                        due_on=today - datetime.timedelta(days=20 if n % 3 == 0 else -(n % 25)),
                    )
                    for n, p in enumerate(elders)
                ],
                batch_size=1000,
            )
            session = self.clinic_session
            bookings = Booking.objects.bulk_create(
                [
                    Booking(
                        activity_id=session.activity_id, session=session, booked_by=self.staff, on_behalf=True
                    )
                    for _ in elders
                ],
                batch_size=1000,
            )
            regs = Registration.objects.bulk_create(
                [
                    Registration(
                        booking=b,
                        activity_id=session.activity_id,
                        session=session,
                        person=p,
                        status="confirmed",
                    )
                    for b, p in zip(bookings, elders, strict=True)
                ],
                batch_size=1000,
            )
            CheckIn.objects.bulk_create(
                [
                    CheckIn(registration=r, session=session, checked_in_by=self.staff, method="staff_search")
                    for r in regs
                ],
                batch_size=1000,
            )
            Reading.objects.bulk_create(
                [
                    Reading(
                        elder=p,
                        kind="bp",
                        value=120 + n % 70,
                        value2=80,
                        unit="mmHg",
                        session=session,
                        level="abnormal" if n % 70 >= 20 else "normal",
                        recorded_by=self.staff,
                    )
                    for n, p in enumerate(elders)
                ],
                batch_size=1000,
            )
            self.elders = rows
        except Exception as exc:  # noqa: BLE001 - report, do not stop the bench
            self.elder_error = f"{type(exc).__name__}: {exc}"

    def grow_inbox(self, rows: int):
        try:
            from portal.notify.models import Message
        except ImportError as exc:
            self.message_error = str(exc)
            return
        now = timezone.now()
        try:
            Message.objects.bulk_create(
                [
                    Message(
                        key=f"bench:{i}:user:{self.resident.pk}:inbox",
                        user=self.resident,
                        channel="inbox",
                        subject=f"通知 {i}",
                        body="社区活动通知",
                        status="sent",
                        sent_at=now,
                        read_at=None if i % 2 else now,
                    )
                    for i in range(self.messages, rows)
                ],
                batch_size=1000,
            )
            self.messages = rows
        except Exception as exc:  # noqa: BLE001 - the inbox model is young; report, do not stop the bench
            self.message_error = f"{type(exc).__name__}: {exc}"


def _youth_setup(world) -> None:
    """The youth area's fixed part: a day-care week run by the staff member with today's session."""
    try:
        import datetime

        from events.models import Activity, Area, RegistrationScope, Session
        from youth.models import DaycareProgramme, DaycareWeek

        today = timezone.localdate()
        programme = DaycareProgramme.objects.create(
            title="基准暑托班",
            place="永兴社区党群服务中心二楼",
            starts_on=today,
            ends_on=today,
            day_starts=datetime.time(0, 0),
            day_ends=datetime.time(23, 59),
        )
        activity = Activity.objects.create(
            title="基准暑托班 第1周",
            area=Area.YOUTH,
            organiser_user=world.staff,
            place=programme.place,
            status="published",
            registration_scope=RegistrationScope.COURSE,
            capacity=20_000,
        )
        DaycareWeek.objects.create(
            programme=programme, activity=activity, number=1, starts_on=today, ends_on=today
        )
        start = timezone.now() - datetime.timedelta(hours=1)
        world.daycare_session = Session.objects.create(
            activity=activity, starts_at=start, ends_at=start + datetime.timedelta(hours=8), capacity=20_000
        )
    except Exception as exc:  # noqa: BLE001 - the area is young; report, do not stop the bench
        world.youth_error = f"{type(exc).__name__}: {exc}"


def _youth_grow(world, rows: int) -> None:
    """Children aged 8 (two to a parent), booked for the week and signed in today, every fifth with an
    allergy and a pickup person."""
    if world.youth_error or world.daycare_session is None:
        return
    try:
        from events.models import Booking, CheckIn, Registration
        from youth.models import PickupPerson

        m = world.m
        need = rows - world.children
        if need <= 0:
            return
        session = world.daycare_session
        kids = m.Person.objects.bulk_create(
            [_person(m, f"孩子{world.children + n:05d}", birth_date=_born(8)) for n in range(need)],
            batch_size=1000,
        )
        # Their own parents (one for two children), not the resident: her family page is measured too.
        parents = m.Person.objects.bulk_create(
            [_person(m, f"家长{world.children + n:05d}", birth_date=_born(38)) for n in range(0, need, 2)],
            batch_size=1000,
        )
        m.Relation.objects.bulk_create(
            [
                m.Relation(subject=parents[n // 2], relative=k, kind=m.RelationKind.GUARDIAN)
                for n, k in enumerate(kids)
            ],
            batch_size=1000,
        )
        booking = Booking.objects.create(activity=session.activity, booked_by=world.resident)
        regs = Registration.objects.bulk_create(
            [
                Registration(booking=booking, activity=session.activity, person=k, status="confirmed")
                for k in kids
            ],
            batch_size=1000,
        )
        CheckIn.objects.bulk_create(
            [
                CheckIn(registration=r, session=session, checked_in_by=world.staff, method="staff_search")
                for r in regs
            ],
            batch_size=1000,
        )
        m.SensitiveProfile.objects.bulk_create(
            [m.SensitiveProfile(person=k, allergies="花生") for k in kids[::5]], batch_size=1000
        )
        PickupPerson.objects.bulk_create(
            [
                PickupPerson(
                    child=k,
                    name="王秀英",
                    relation="grandmother_m",
                    phone="+8613700000000",
                    added_by=world.resident,
                )
                for k in kids[::5]
            ],
            batch_size=1000,
        )
        if world.daycare_child is None:
            world.daycare_child = kids[0]
        world.children = rows
    except Exception as exc:  # noqa: BLE001
        world.youth_error = f"{type(exc).__name__}: {exc}"


def _person(m, name: str, **fields):
    """A Person as ``Person.save()`` would leave it (with its pinyin search keys), for ``bulk_create``,
    which does not call ``save()``: names without keys would all sort first in the lists that order by
    pinyin, which no real registry does."""
    from portal.community.search import pinyin_keys

    full, initials = pinyin_keys(name)
    return m.Person(name=name, name_pinyin=full, name_initials=initials, **fields)


def _born(age: int):
    today = timezone.localdate()
    return today.replace(year=today.year - age, day=min(today.day, 28))


# --- measuring -----------------------------------------------------------------------------------------
def pages(world: World) -> list[tuple[str, str, tuple, dict, str | None]]:
    """(key, URL name, args, query, who) for every page of the issue."""
    return [
        ("home", "home", (), {}, None),
        ("login", "account_login", (), {}, None),
        ("signup", "account_signup", (), {}, None),
        ("my_family", "community:my_family", (), {}, "resident"),
        ("workbench_search", "community:workbench", (), {"q": SEARCH_TERM}, "staff"),
        ("person_detail", "community:workbench_person", (world.mother.pk,), {}, "staff"),
        ("inbox", "notify:inbox", (), {}, "resident"),
        ("profile", "accounts:profile", (), {}, "resident"),
        ("privacy_notice", "community:privacy_notice", (), {}, None),
        # The elders area (issue 11)
        ("elder_list", "elders:index", (), {}, "staff"),
        ("elder_page", "elders:elder", (world.mother.pk,), {}, "staff"),
        ("my_contacts", "elders:my_contacts", (), {}, "volunteer"),
        ("overdue", "elders:overdue", (), {}, "staff"),
        (
            "clinic_entry",
            "elders:clinic",
            (world.clinic_session.pk if world.clinic_session else 0,),
            {},
            "staff",
        ),
        ("classes", "elders:classes", (), {}, "staff"),
        # The youth area (issue 12): the tablet's day roster and sign-out page
        (
            "day_roster",
            "youth:roster_session",
            (world.daycare_session.pk if world.daycare_session else 0,),
            {},
            "staff",
        ),
        (
            "sign_out",
            "youth:sign_out",
            (
                world.daycare_session.pk if world.daycare_session else 0,
                world.daycare_child.pk if world.daycare_child else 0,
            ),
            {},
            "staff",
        ),
    ]


def clients(world: World) -> dict:
    result = {None: Client()}
    for who, user in (("staff", world.staff), ("resident", world.resident), ("volunteer", world.volunteer)):
        client = Client()
        client.force_login(user)
        result[who] = client
    return result


def count_queries(client: Client, url: str, query: dict) -> tuple[int, int]:
    client.get(url, query)  # warm: sessions, caches, template loading
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, query)
    return len(ctx.captured_queries), response.status_code


def _backend_pid() -> int | None:
    """The pid of this connection's PostgreSQL backend when it runs on this machine, else None."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        if Path(f"/proc/{pid}/comm").read_text().strip() == "postgres":
            return pid
    except OSError:
        pass
    return None  # a server elsewhere: its CPU is not ours to read


def _cpu_ns(backend: int | None) -> int:
    """CPU time used so far by this process and by its PostgreSQL backend (``/proc/<pid>/schedstat``:
    the nanoseconds the backend has run), the two that serve a page."""
    return time.process_time_ns() + _backend_ns(backend)


def _backend_ns(backend: int | None) -> int:
    """The nanoseconds the PostgreSQL backend has run so far (0 when it is not on this machine)."""
    if backend is None:
        return 0
    try:
        return int(Path(f"/proc/{backend}/schedstat").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def median_time(client: Client, url: str, query: dict) -> tuple[float, float]:
    """(median wall seconds of one request, mean CPU seconds of one request: this process and its
    PostgreSQL backend). The CPU figure holds when the machine is busy with other work, which the wall
    time does not (it waits for a core as well)."""
    client.get(url, query)
    backend = _backend_pid()
    samples = []
    cpu_before = _cpu_ns(backend)
    for _ in range(REQUESTS):
        start = time.perf_counter()
        client.get(url, query)
        samples.append(time.perf_counter() - start)
    cpu = (_cpu_ns(backend) - cpu_before) / REQUESTS / 1e9
    return statistics.median(samples), cpu


def paired_time(client: Client, url: str, query: dict, floor_url: str) -> dict:
    """The page and the same viewer's floor requested in turn (floor, page, floor, page, ...), each
    request's CPU read on its own: on this shared machine the cost of a request moves by a third between
    one minute and the next, and a floor measured at another moment than its page moves the ratio with
    it. Measured in turn, the two see the same machine. Returns the page's median wall seconds and mean
    CPU seconds, and the paired floor's."""
    client.get(url, query)
    client.get(floor_url)
    backend = _backend_pid()
    walls = {"page": [], "floor": []}
    own = {"page": 0, "floor": 0}  # this process: Python, the ORM, templates
    database = {"page": 0, "floor": 0}  # its PostgreSQL backend
    for _ in range(REQUESTS):
        for kind, target, params in (("floor", floor_url, {}), ("page", url, query)):
            own_start, db_start = time.process_time_ns(), _backend_ns(backend)
            start = time.perf_counter()
            client.get(target, params)
            walls[kind].append(time.perf_counter() - start)
            own[kind] += time.process_time_ns() - own_start
            database[kind] += _backend_ns(backend) - db_start
    return {
        "median_seconds": statistics.median(walls["page"]),
        "cpu_seconds": (own["page"] + database["page"]) / REQUESTS / 1e9,
        "cpu_process_seconds": own["page"] / REQUESTS / 1e9,
        "cpu_database_seconds": database["page"] / REQUESTS / 1e9,
        "paired_floor_median_seconds": statistics.median(walls["floor"]),
        "paired_floor_cpu_seconds": (own["floor"] + database["floor"]) / REQUESTS / 1e9,
        "paired_floor_cpu_process_seconds": own["floor"] / REQUESTS / 1e9,
    }


def analyze() -> None:
    """Fresh planner statistics after bulk inserts (PostgreSQL only; VACUUM cannot run in a transaction)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")


def measure_at(world: World, rows: int, timed: bool) -> dict:
    world.grow_to(rows)
    analyze()
    by_who = clients(world)
    figures = {}
    for key, name, args, query, who in pages(world):
        if ONLY and key not in ONLY:
            continue
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:
            continue
        queries, status = count_queries(by_who[who], url, query)
        shown = url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
        figures[key] = {"url": shown, "queries": queries, "status": status}
        if timed:
            figures[key].update(paired_time(by_who[who], url, query, reverse("bench_floor")))
    if timed:
        # One floor per kind of viewer: base.html for that signed-in user (anonymous: None).
        figures["_floor"] = {
            who: median_time(client, reverse("bench_floor"), {}) for who, client in by_who.items()
        }
    return figures


def main() -> dict:
    # The test client's host and mail outbox, but production's template rendering: the test environment's
    # instrumented renderer copies every template's context for the client, which no served page pays.
    production_render = Template._render
    setup_test_environment()
    Template._render = production_render
    settings.DEBUG = False
    settings.AXES_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    install_urlconf()
    original = _scratch.scratch_database()
    try:
        world = World()
        small = measure_at(world, SMALL, timed=False)
        large = measure_at(world, LARGE, timed=True)
        both = large.pop("_floor")
        floors = {who: wall for who, (wall, _cpu) in both.items()}
        cpu_floors = {who: cpu for who, (_wall, cpu) in both.items()}
        floor = floors[None]
        result = {
            "database": connection.vendor,
            "rows_small": SMALL,
            "rows_large": LARGE,
            "requests": REQUESTS,
            "floor_median_seconds": round(floor, 6),
            "signed_in_floor_median_seconds": {
                who: round(seconds, 6) for who, seconds in floors.items() if who is not None
            },
            "floor_cpu_seconds": round(cpu_floors[None], 6),
            "signed_in_floor_cpu_seconds": {
                who: round(seconds, 6) for who, seconds in cpu_floors.items() if who is not None
            },
            "pages": {},
            "missing": [],
            "inbox_rows": world.messages,
            "elder_rows": world.elders,
        }
        if world.message_error:
            result["inbox_error"] = world.message_error
        if world.elder_error:
            result["elder_error"] = world.elder_error
        result["child_rows"] = world.children
        if world.youth_error:
            result["youth_error"] = world.youth_error
        for key, _name, _args, _query, who in pages(world):
            if ONLY and key not in ONLY:
                continue
            if key not in large:
                result["missing"].append(key)
                continue
            at_small, at_large = small[key], large[key]
            result["pages"][key] = {
                "url": at_large["url"],
                "status": at_large["status"],
                "queries_at_10": at_small["queries"],
                "queries_at_10000": at_large["queries"],
                "queries_equal": at_small["queries"] == at_large["queries"],
                "median_seconds": round(at_large["median_seconds"], 6),
                "ratio": round(at_large["median_seconds"] / floor, 2) if floor else None,
                "ratio_signed_in_floor": (
                    round(at_large["median_seconds"] / floors[who], 2) if floors[who] else None
                ),
                "cpu_seconds": round(at_large["cpu_seconds"], 6),
                "cpu_ratio_signed_in_floor": (
                    round(at_large["cpu_seconds"] / cpu_floors[who], 2) if cpu_floors[who] else None
                ),
                "cpu_process_seconds": round(at_large["cpu_process_seconds"], 6),
                "cpu_database_seconds": round(at_large["cpu_database_seconds"], 6),
                "paired_floor_cpu_seconds": round(at_large["paired_floor_cpu_seconds"], 6),
                # The page's own process (Python, ORM, templates) against the whole paired floor: over 3
                # here, no database work can bring the page under 3x.
                "cpu_process_ratio_paired_floor": (
                    round(at_large["cpu_process_seconds"] / at_large["paired_floor_cpu_seconds"], 2)
                    if at_large["paired_floor_cpu_seconds"]
                    else None
                ),
                "paired_floor_median_seconds": round(at_large["paired_floor_median_seconds"], 6),
                "cpu_ratio_paired_floor": (
                    round(at_large["cpu_seconds"] / at_large["paired_floor_cpu_seconds"], 2)
                    if at_large["paired_floor_cpu_seconds"]
                    else None
                ),
            }
        result["all_queries_equal"] = all(p["queries_equal"] for p in result["pages"].values())
        result["over_3x_signed_in_floor"] = sorted(
            key for key, p in result["pages"].items() if (p["ratio_signed_in_floor"] or 0) > 3
        )
        result["over_3x_signed_in_floor_cpu"] = sorted(
            key for key, p in result["pages"].items() if (p["cpu_ratio_signed_in_floor"] or 0) > 3
        )
        result["over_3x_paired_floor_cpu"] = sorted(
            key for key, p in result["pages"].items() if (p["cpu_ratio_paired_floor"] or 0) > 3
        )
        result["load_average"] = os.getloadavg()
        return result
    finally:
        _scratch.drop_scratch_database(original)


if __name__ == "__main__":
    print(json.dumps(main(), ensure_ascii=False))
