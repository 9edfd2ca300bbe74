"""``manage.py seed_demo``: build the demo community 永兴社区 (Yongxing community, Nantong).

The figures follow the newspaper story the portal was written for: 82 residents aged 80 and over served
by 南通申丞小海护理院 (the nursing home), the 街道卫生服务中心 (the sub-district health centre) running
clinics, families with children in 炜建花苑, the charging-pile deliberation in 和谐怡园佳苑 (1,600
households in reality; a sample here), and job seekers in 紫荆花园.

Idempotent: the whole plan is drawn first from ``random.Random(seed)`` (never from the database), then
written with ``get_or_create`` on natural keys inside one transaction. Running it twice gives the same
data. Ages are computed relative to today.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from auditlog.context import disable_auditlog
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from portal.accounts.models import Role, User
from portal.community.models import (
    Building,
    Consent,
    ConsentPurpose,
    EmergencyContact,
    Estate,
    Gender,
    Grid,
    Household,
    Organization,
    OrganizationKind,
    Person,
    Relation,
    RelationKind,
    SensitiveProfile,
)

DEMO_PASSWORD = "zhaoxi-demo-2026"  # noqa: S105 - published demo credentials, printed by the command
ELDERS_80_PLUS = 82

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)


def _names(spaced: str) -> list[str]:
    return spaced.split(" ")


GIVEN = {
    # (generation, gender): given names typical of that generation
    ("elder", "F"): _names(
        "秀英 桂英 玉兰 秀兰 凤英 桂兰 淑珍 玉珍 兰英 翠英 秀珍 桂珍 素芬 美华 惠芳 月娥 金凤 宝珍 素琴 慧英"
    ),
    ("elder", "M"): _names(
        "建国 德明 国强 志明 长林 福生 永昌 振华 德胜 金林 宝根 忠义 树林 庆丰 家兴 荣华 文彬 正清 春生 德才"
    ),
    ("adult", "F"): _names("静 丽 敏 燕 艳 娟 霞 玲 芳 婷 雪梅 丽华 红梅 海燕 晓燕 春燕 小红 慧 颖 倩"),
    ("adult", "M"): _names("伟 强 磊 军 勇 涛 杰 斌 超 明 建华 海峰 晓东 志刚 卫东 国华 文杰 俊 鹏 浩"),
    ("child", "F"): _names("欣怡 梓涵 诗涵 雨桐 一诺 可馨 子涵 思彤 若汐 语嫣 梦瑶 佳怡 依诺 晨曦 安琪"),
    ("child", "M"): _names("子轩 浩然 宇轩 梓睿 俊熙 一鸣 皓轩 子墨 奕辰 博文 明哲 铭泽 天佑 嘉乐 思远"),
}
CONDITIONS = [
    "高血压",
    "糖尿病",
    "冠心病",
    "骨质疏松",
    "慢性支气管炎",
    "白内障",
    "关节炎",
    "轻度认知障碍",
    "",
]
VOLUNTEER_TEAMS = ["助老巡访队", "青少年关爱队", "在职党员先锋队", "红马甲志愿队"]
VOLUNTEER_SKILLS = [
    "陪伴聊天,电话问候",
    "智能手机教学",
    "摄影,短视频",
    "辅导作业",
    "家电维修",
    "急救,测血压",
    "手工,绘画",
]
VOLUNTEER_HOME = "永兴社区新时代文明实践站"
CARE_LEVELS = ["自理", "自理", "半失能", "半失能", "失能"]

ORGANIZATIONS = [
    # name, kind, contact, phone, description
    (
        "南通申丞小海护理院",
        OrganizationKind.NURSING_HOME,
        "顾春梅",
        "+8613800000101",
        "为社区80周岁以上老人提供送餐、生活照料、康复理疗、健康管理等服务。",
    ),
    (
        "中兴街道社区卫生服务中心",
        OrganizationKind.HEALTH_CENTRE,
        "钱文静",
        "+8613800000102",
        "在“便民服务驿站”开展测量血压、血糖、问诊等义诊服务。",
    ),
    (
        "开发区实验小学",
        OrganizationKind.SCHOOL,
        "蒋老师",
        "+8613800000103",
        "“学校+家庭+社区+志愿者”联动关爱保护模式的共建学校。",
    ),
    (
        "永兴物业服务有限公司",
        OrganizationKind.PROPERTY_COMPANY,
        "马经理",
        "+8613800000104",
        "辖区小区的物业服务企业，参与停车、充电桩等议事协商。",
    ),
    (
        "星湖101烘焙坊",
        OrganizationKind.EMPLOYER,
        "沈店长",
        "+8613800000105",
        "“家门口”就业服务站合作商家，提供烘焙技能培训和“妈妈岗”。",
    ),
    (
        "永兴社区新时代文明实践站",
        OrganizationKind.SOCIAL_ORGANIZATION,
        "樊淑淑",
        "+8613800000106",
        "组织志愿服务、老少共融活动和寒暑假公益班。",
    ),
]
NURSING_HOME = ORGANIZATIONS[0][0]
HEALTH_CENTRE = ORGANIZATIONS[1][0]

# estate: (buildings, grid name per building)
GRIDS = [
    ("第一网格", "炜建花苑"),
    ("第二网格", "紫荆花园"),
    ("第三网格", "和谐怡园佳苑 1–4 栋"),
    ("第四网格", "和谐怡园佳苑 5–8 栋"),
]
ESTATES = [
    (
        "炜建花苑",
        "南通经济技术开发区中兴街道炜建花苑",
        [("1", "第一网格"), ("2", "第一网格"), ("3", "第一网格"), ("4", "第一网格"), ("5", "第一网格")],
    ),
    ("紫荆花园", "南通经济技术开发区中兴街道紫荆花园", [(str(n), "第二网格") for n in range(1, 6)]),
    (
        "和谐怡园佳苑",
        "南通经济技术开发区中兴街道和谐怡园佳苑",
        [(str(n), "第三网格") for n in range(1, 5)] + [(str(n), "第四网格") for n in range(5, 9)],
    ),
]
UNITS = ("1", "2")
FLOORS = range(1, 7)
ROOMS_PER_FLOOR = 2
OCCUPANCY = 0.85


@dataclass
class PersonPlan:
    key: str  # unique within the plan
    name: str
    gender: str
    age: int
    offset_days: int
    address: tuple[str, str, str, str]  # estate, building, unit, room
    phone: str = ""
    lives_alone: bool = False
    widowed: bool = False
    conditions: str = ""
    care_level: str = ""
    allergies: str = ""


@dataclass
class Plan:
    people: list[PersonPlan] = field(default_factory=list)
    relations: list[tuple[str, str, str]] = field(default_factory=list)  # subject key, relative key, kind
    contacts: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # person key, name, phone, relationship
    served_by: list[tuple[str, str]] = field(default_factory=list)  # person key, organisation name
    volunteers: list[tuple[str, str, str]] = field(default_factory=list)  # person key, team, skills


def birth_date_for(age: int, offset_days: int, today: date) -> date:
    """A birth date on which the person is exactly ``age`` today (offset_days into that year of life)."""
    try:
        anniversary = today.replace(year=today.year - age)
    except ValueError:  # 29 February
        anniversary = today.replace(year=today.year - age, day=28)
    return anniversary - timedelta(days=offset_days)


class PlanBuilder:
    """Draws the whole community from one seeded generator, without touching the database."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.plan = Plan()
        self.n = 0
        self.phone_n = 0

    # -- helpers ------------------------------------------------------------------------------------
    def name(self, generation: str, gender: str, surname: str | None = None, taken=()) -> str:
        for _ in range(50):
            name = (surname or self.rng.choice(SURNAMES)) + self.rng.choice(GIVEN[(generation, gender)])
            if name not in taken:
                return name
        raise RuntimeError("could not draw a unique name")  # pragma: no cover

    def phone(self) -> str:
        self.phone_n += 1
        return f"+86137{self.phone_n:08d}"

    def add(self, *, name, gender, age, address, taken, **extra) -> PersonPlan:
        self.n += 1
        person = PersonPlan(
            key=f"p{self.n}",
            name=name,
            gender=gender,
            age=age,
            offset_days=self.rng.randrange(1, 360),
            address=address,
            **extra,
        )
        taken.add(name)
        self.plan.people.append(person)
        return person

    def elder_health(self) -> dict:
        return {
            "conditions": "、".join(sorted({c for c in self.rng.sample(CONDITIONS, 2) if c})),
            "care_level": self.rng.choice(CARE_LEVELS),
        }

    def old_age(self) -> int:
        return self.rng.choice(
            [80, 80, 81, 81, 82, 82, 83, 83, 84, 85, 85, 86, 87, 88, 89, 90, 91, 92, 94, 96]
        )

    # -- households ---------------------------------------------------------------------------------
    def very_old_alone(self, address):
        taken: set[str] = set()
        gender = self.rng.choice("FFFM")
        elder = self.add(
            name=self.name("elder", gender),
            gender=gender,
            age=self.old_age(),
            address=address,
            taken=taken,
            lives_alone=True,
            widowed=self.rng.random() < 0.85,
            **self.elder_health(),
        )
        child_gender = self.rng.choice("FM")
        self.plan.contacts.append(
            (
                elder.key,
                self.name("adult", child_gender),
                self.phone(),
                "女儿" if child_gender == "F" else "儿子",
            )
        )
        return [elder]

    def elder_couple(self, address, very_old: int):
        taken: set[str] = set()
        ages = [self.old_age() if i < very_old else self.rng.randint(62, 78) for i in range(2)]
        husband = self.add(
            name=self.name("elder", "M"),
            gender="M",
            age=ages[0],
            address=address,
            taken=taken,
            **self.elder_health(),
        )
        wife = self.add(
            name=self.name("elder", "F"),
            gender="F",
            age=ages[1],
            address=address,
            taken=taken,
            **self.elder_health(),
        )
        self.plan.relations += [
            (husband.key, wife.key, RelationKind.SPOUSE),
            (wife.key, husband.key, RelationKind.SPOUSE),
        ]
        self.plan.contacts.append((husband.key, self.name("adult", "F"), self.phone(), "女儿"))
        return [husband, wife]

    def family(self, address, grandparents: int = 0, very_old_grandparents: int = 0):
        taken: set[str] = set()
        surname = self.rng.choice(SURNAMES)
        father_age = self.rng.randint(30, 50)
        father = self.add(
            name=self.name("adult", "M", surname, taken),
            gender="M",
            age=father_age,
            address=address,
            taken=taken,
            phone=self.phone(),
        )
        mother = self.add(
            name=self.name("adult", "F", taken=taken),
            gender="F",
            age=max(26, father_age - self.rng.randint(0, 4)),
            address=address,
            taken=taken,
            phone=self.phone(),
        )
        people = [father, mother]
        self.plan.relations += [
            (father.key, mother.key, RelationKind.SPOUSE),
            (mother.key, father.key, RelationKind.SPOUSE),
        ]
        for _ in range(self.rng.choice([1, 1, 1, 2, 2])):
            gender = self.rng.choice("FM")
            age = self.rng.randint(0, min(17, mother.age - 22))
            child = self.add(
                name=self.name("child", gender, surname, taken),
                gender=gender,
                age=age,
                address=address,
                taken=taken,
                allergies=self.rng.choice(["", "", "", "", "花生", "海鲜", "青霉素"]),
            )
            people.append(child)
            for parent in (father, mother):
                self.plan.relations += [
                    (parent.key, child.key, RelationKind.GUARDIAN),
                    (child.key, parent.key, RelationKind.CHILD),
                ]
        for i in range(grandparents):
            gender = "M" if i == 0 else "F"
            age = (
                self.old_age()
                if i < very_old_grandparents
                else self.rng.randint(max(62, father_age + 22), 78)
            )
            gp = self.add(
                name=self.name("elder", gender, surname if gender == "M" else None, taken),
                gender=gender,
                age=age,
                address=address,
                taken=taken,
                widowed=grandparents == 1 and self.rng.random() < 0.7,
                **self.elder_health(),
            )
            people.append(gp)
            self.plan.relations += [
                (father.key, gp.key, RelationKind.CARER),
                (father.key, gp.key, RelationKind.CHILD),
            ]
        return people

    def couple(self, address):
        taken: set[str] = set()
        age = self.rng.randint(24, 60)
        a = self.add(
            name=self.name("adult", "M", taken=taken),
            gender="M",
            age=age,
            address=address,
            taken=taken,
            phone=self.phone(),
        )
        b = self.add(
            name=self.name("adult", "F", taken=taken),
            gender="F",
            age=max(22, age - self.rng.randint(0, 5)),
            address=address,
            taken=taken,
            phone=self.phone(),
        )
        self.plan.relations += [(a.key, b.key, RelationKind.SPOUSE), (b.key, a.key, RelationKind.SPOUSE)]
        return [a, b]

    def single(self, address):
        gender = self.rng.choice("FM")
        age = self.rng.choice([self.rng.randint(22, 45), self.rng.randint(60, 78)])
        extra = {"lives_alone": True}
        if age >= 60:
            extra.update(self.elder_health(), widowed=self.rng.random() < 0.6)
        person = self.add(
            name=self.name("elder" if age >= 60 else "adult", gender),
            gender=gender,
            age=age,
            address=address,
            taken=set(),
            phone=self.phone() if age < 60 else "",
            **extra,
        )
        return [person]

    # -- the story's own residents ------------------------------------------------------------------
    def story(self):
        """Residents named in the story, at fixed addresses (all other addresses are drawn around them)."""
        zhu = ("炜建花苑", "3", "2", "502")
        taken: set[str] = set()
        p = self.plan
        xiaoyan = self.add(
            name="朱晓燕", gender="F", age=38, address=zhu, taken=taken, phone="+8613800000005"
        )
        husband = self.add(
            name="刘建国", gender="M", age=40, address=zhu, taken=taken, phone="+8613700009001"
        )
        son = self.add(name="刘子轩", gender="M", age=10, address=zhu, taken=taken, allergies="花生")
        daughter = self.add(name="刘雨桐", gender="F", age=6, address=zhu, taken=taken)
        p.relations += [
            (xiaoyan.key, husband.key, RelationKind.SPOUSE),
            (husband.key, xiaoyan.key, RelationKind.SPOUSE),
        ]
        for parent in (xiaoyan, husband):
            for child in (son, daughter):
                p.relations += [
                    (parent.key, child.key, RelationKind.GUARDIAN),
                    (child.key, parent.key, RelationKind.CHILD),
                ]
        # Her widowed mother lives alone one building away and is one of the 82.
        mother = self.add(
            name="王秀英",
            gender="F",
            age=84,
            address=("炜建花苑", "1", "1", "201"),
            taken=set(),
            lives_alone=True,
            widowed=True,
            conditions="高血压、骨质疏松",
            care_level="半失能",
        )
        p.relations += [
            (xiaoyan.key, mother.key, RelationKind.CARER),
            (xiaoyan.key, mother.key, RelationKind.CHILD),
        ]
        p.contacts.append((mother.key, "朱晓燕", "+8613800000005", "女儿"))

        guo = ("紫荆花园", "2", "1", "301")
        taken = set()
        guoling = self.add(
            name="郭玲",
            gender="F",
            age=72,
            address=guo,
            taken=taken,
            phone="+8613700009002",
            conditions="高血压",
            care_level="自理",
        )
        guo_husband = self.add(name="周德胜", gender="M", age=75, address=guo, taken=taken, care_level="自理")
        p.relations += [
            (guoling.key, guo_husband.key, RelationKind.SPOUSE),
            (guo_husband.key, guoling.key, RelationKind.SPOUSE),
        ]

        fan = ("和谐怡园佳苑", "6", "1", "402")
        taken = set()
        fan_ty = self.add(
            name="樊天英", gender="F", age=76, address=fan, taken=taken, widowed=True, care_level="自理"
        )
        xinyi = self.add(name="李欣怡", gender="F", age=20, address=fan, taken=taken, phone="+8613800000004")
        p.relations += [(xinyi.key, fan_ty.key, RelationKind.CARER)]

        self.add(
            name="张伟兰",
            gender="F",
            age=55,
            address=("和谐怡园佳苑", "2", "2", "601"),
            taken=set(),
            phone="+8613700009003",
        )
        self.add(
            name="张岚",
            gender="F",
            age=34,
            address=("紫荆花园", "4", "2", "102"),
            taken=set(),
            phone="+8613700009004",
        )
        return {"resident": xiaoyan.key, "volunteer": xinyi.key, "mother": mother.key}

    def build(self) -> tuple[Plan, dict]:
        story_keys = self.story()
        used = {person.address for person in self.plan.people}
        addresses = []
        for estate, _address, buildings in ESTATES:
            for number, _grid in buildings:
                for unit in UNITS:
                    for floor in FLOORS:
                        for r in range(1, ROOMS_PER_FLOOR + 1):
                            address = (estate, number, unit, f"{floor}{r:02d}")
                            if address not in used and self.rng.random() < OCCUPANCY:
                                addresses.append(address)
        self.rng.shuffle(addresses)
        # Exactly 82 people aged 80+: the story's mother (1), 33 living alone, 14 couples both 80+ (28),
        # 10 couples with one 80+ (10), 10 families with an 80+ grandparent (10) = 82.
        queue = iter(addresses)
        for _ in range(33):
            self.very_old_alone(next(queue))
        for _ in range(14):
            self.elder_couple(next(queue), very_old=2)
        for _ in range(10):
            self.elder_couple(next(queue), very_old=1)
        for _ in range(10):
            self.family(next(queue), grandparents=self.rng.choice([1, 2]), very_old_grandparents=1)
        for address in queue:
            kind = self.rng.random()
            if kind < 0.45:
                self.family(address, grandparents=self.rng.choice([0, 0, 0, 1, 2]))
            elif kind < 0.65:
                self.couple(address)
            elif kind < 0.8:
                self.elder_couple(address, very_old=0)
            else:
                self.single(address)
        for person in self.plan.people:
            if person.age >= 80:
                self.plan.served_by += [(person.key, NURSING_HOME), (person.key, HEALTH_CENTRE)]
            elif person.age >= 65 and person.conditions:
                self.plan.served_by.append((person.key, HEALTH_CENTRE))
        # The volunteer team (网格党支部, 在职党员, 志愿者): the story's student and two dozen neighbours.
        self.plan.volunteers.append((story_keys["volunteer"], "青少年关爱队", "摄影,短视频,智能手机教学"))
        candidates = [p for p in self.plan.people if 18 <= p.age <= 72 and p.key != story_keys["volunteer"]]
        for person in self.rng.sample(candidates, 24):
            self.plan.volunteers.append(
                (person.key, self.rng.choice(VOLUNTEER_TEAMS), self.rng.choice(VOLUNTEER_SKILLS))
            )
        very_old = sum(1 for person in self.plan.people if person.age >= 80)
        if very_old != ELDERS_80_PLUS:  # a broken plan must never be written
            raise CommandError(f"the demo plan has {very_old} residents aged 80+, not {ELDERS_80_PLUS}")
        return self.plan, story_keys


# Demo accounts: phone, name, role, extra. Password DEMO_PASSWORD for all.
ACCOUNTS = [
    (
        "+8613800000001",
        "陈善惠",
        Role.COMMUNITY_STAFF,
        {"superuser": True, "note": "社区党总支书记 · community staff, superuser"},
    ),
    (
        "+8613800000002",
        "周敏",
        Role.GRID_WORKER,
        {"grid": "第一网格", "note": "第一网格网格长 · grid worker (炜建花苑)"},
    ),
    (
        "+8613800000012",
        "吴海燕",
        Role.GRID_WORKER,
        {"grid": "第二网格", "note": "第二网格网格长 · grid worker (紫荆花园)"},
    ),
    (
        "+8613800000013",
        "孙建华",
        Role.GRID_WORKER,
        {"grid": "第三网格", "note": "第三网格网格长 · grid worker"},
    ),
    (
        "+8613800000014",
        "徐丽",
        Role.GRID_WORKER,
        {"grid": "第四网格", "note": "第四网格网格长 · grid worker"},
    ),
    (
        "+8613800000003",
        "顾春梅",
        Role.PARTNER_STAFF,
        {"organization": NURSING_HOME, "note": "护理院工作人员 · partner staff"},
    ),
    ("+8613800000004", "李欣怡", Role.VOLUNTEER, {"person": "volunteer", "note": "大学生志愿者 · volunteer"}),
    (
        "+8613800000006",
        "钱文静",
        Role.PARTNER_STAFF,
        {"organization": HEALTH_CENTRE, "note": "卫生服务中心护士 · health-centre nurse (partner staff)"},
    ),
    (
        "+8613800000007",
        "沈国华",
        Role.VOLUNTEER,
        {"note": "在职党员志愿者 · party-member volunteer (结对帮扶)"},
    ),
    (
        "+8613800000005",
        "朱晓燕",
        Role.RESIDENT,
        {"person": "resident", "note": "居民：两个孩子和年迈的母亲 · resident"},
    ),
]


class Command(BaseCommand):
    help = "Build the demo community 永兴社区 (idempotent: run it as often as you like)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--seed", type=int, default=2026, help="Seed of the random generator (default 2026)."
        )

    def handle(self, *args, seed: int = 2026, **options):
        plan, story_keys = PlanBuilder(seed).build()
        # Demo rows are not an actor's changes: keep them out of the audit trail.
        with transaction.atomic(), disable_auditlog():
            summary = self.write(plan, story_keys)
        self.report(summary)
        seed_app_demos(stdout=self.stdout, today=timezone.localdate())

    # -- writing ------------------------------------------------------------------------------------
    def write(self, plan: Plan, story_keys: dict) -> dict:
        today = timezone.localdate()
        orgs = {}
        for name, kind, contact, phone, description in ORGANIZATIONS:
            orgs[name], _ = Organization.objects.get_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "contact_name": contact,
                    "contact_phone": phone,
                    "description": description,
                    "address": "南通经济技术开发区中兴街道",
                },
            )
        grids = {}
        for name, description in GRIDS:
            grids[name], _ = Grid.objects.get_or_create(name=name, defaults={"description": description})
        buildings = {}
        for estate_name, street, numbers in ESTATES:
            estate, _ = Estate.objects.get_or_create(name=estate_name, defaults={"address": street})
            for number, grid_name in numbers:
                buildings[(estate_name, number)], _ = Building.objects.get_or_create(
                    estate=estate, number=number, defaults={"grid": grids[grid_name]}
                )

        households = {}
        people = {}
        for pp in plan.people:
            estate, number, unit, room = pp.address
            if pp.address not in households:
                households[pp.address], _ = Household.objects.get_or_create(
                    building=buildings[(estate, number)], unit=unit, room=room
                )
            person, _ = Person.objects.get_or_create(
                household=households[pp.address],
                name=pp.name,
                defaults={
                    "gender": Gender.FEMALE if pp.gender == "F" else Gender.MALE,
                    "birth_date": birth_date_for(pp.age, pp.offset_days, today),
                    "phone": pp.phone,
                    "lives_alone": pp.lives_alone,
                    "is_widowed": pp.widowed,
                },
            )
            people[pp.key] = person
            if pp.conditions or pp.care_level or pp.allergies:
                SensitiveProfile.objects.get_or_create(
                    person=person,
                    defaults={
                        "health_conditions": pp.conditions,
                        "care_level": pp.care_level,
                        "allergies": pp.allergies,
                    },
                )
        for subject, relative, kind in plan.relations:
            Relation.objects.get_or_create(subject=people[subject], relative=people[relative], kind=kind)
        for key, name, phone, relationship in plan.contacts:
            EmergencyContact.objects.get_or_create(
                person=people[key], name=name, defaults={"phone": phone, "relationship": relationship}
            )
        by_org: dict[str, list[int]] = {}
        for key, org_name in plan.served_by:
            by_org.setdefault(org_name, []).append(people[key].pk)
        for org_name, pks in by_org.items():
            orgs[org_name].clients.add(*pks)  # add() skips pairs that already exist

        accounts = self.write_accounts(grids, orgs, people, story_keys)
        self.write_consents(accounts, people, story_keys)
        self.write_volunteer_profiles(plan, people, orgs)
        return {
            "accounts": accounts,
            "households": len(households),
            "people": len(people),
            "elders_80_plus": Person.objects.active().aged_at_least(80).count(),
        }

    def write_accounts(self, grids, orgs, people, story_keys) -> list[tuple[User, str]]:
        accounts = []
        for phone, name, role, extra in ACCOUNTS:
            user = User.objects.filter(phone=phone).first()
            if user is None:
                fields = {"name": name, "role": role, "phone_verified": True}
                if "grid" in extra:
                    fields["grid"] = grids[extra["grid"]]
                if "organization" in extra:
                    fields["organization"] = orgs[extra["organization"]]
                if extra.get("superuser"):
                    user = User.objects.create_superuser(phone, DEMO_PASSWORD, **fields)
                else:
                    user = User.objects.create_user(phone, DEMO_PASSWORD, **fields)
            if "grid" in extra:
                grid = grids[extra["grid"]]
                if grid.leader_id is None:
                    grid.leader = user
                    grid.save(update_fields=["leader"])
            if "person" in extra:
                person = people[story_keys[extra["person"]]]
                if person.user_id is None and not Person.objects.filter(user=user).exists():
                    person.user = user
                    person.save(update_fields=["user"])
            accounts.append((user, extra["note"]))
        return accounts

    def write_consents(self, accounts, people, story_keys):
        """The demo resident has consented for herself, for her children (as guardian), and for her mother."""
        resident = next(user for user, _note in accounts if user.role == Role.RESIDENT)
        version = _notice_version()
        me = people[story_keys["resident"]]
        children = Person.objects.filter(relations_to__subject=me, relations_to__kind=RelationKind.GUARDIAN)
        grants = [(me, ConsentPurpose.SERVICES, False), (me, ConsentPurpose.NOTIFICATIONS, False)]
        grants += [
            (child, purpose, True)
            for child in children
            for purpose in (ConsentPurpose.SERVICES, ConsentPurpose.MINOR)
        ]
        mother = people[story_keys["mother"]]
        grants += [(mother, ConsentPurpose.SERVICES, False), (mother, ConsentPurpose.HEALTH, False)]
        for person, purpose, as_guardian in grants:
            Consent.objects.get_or_create(
                person=person,
                purpose=purpose,
                withdrawn_at=None,
                defaults={"notice_version": version, "given_by": resident, "given_as_guardian": as_guardian},
            )

    def write_volunteer_profiles(self, plan: Plan, people: dict, orgs: dict):
        """VolunteerProfile comes with portal.volunteers; seeded only when that model is there."""
        try:
            model = apps.get_model("volunteers", "VolunteerProfile")
        except LookupError:
            return
        if model._meta.db_table not in connection.introspection.table_names():
            self.stderr.write(
                "Volunteer profiles skipped: run migrate once portal.volunteers has its migration."
            )
            return
        for key, team, skills in plan.volunteers:
            model.objects.get_or_create(
                person=people[key],
                defaults={"team": team, "skills": skills, "organization": orgs[VOLUNTEER_HOME]},
            )

    def report(self, summary: dict):
        out = self.stdout
        out.write(
            self.style.SUCCESS(
                f"永兴社区 demo: {summary['households']} households, {summary['people']} residents, "
                f"{summary['elders_80_plus']} aged 80 and over."
            )
        )
        out.write("")
        out.write(f"Demo accounts (sign in with the phone number; password for all: {DEMO_PASSWORD})")
        for user, note in summary["accounts"]:
            out.write(f"  {user.phone.national_number:<13} {user.name:<6} {note}")


def _notice_version() -> str:
    from django.conf import settings

    return settings.PRIVACY_NOTICE_VERSION


def seed_app_demos(*, stdout, today: date) -> None:
    """Call ``seed(*, stdout, today)`` of each installed app's ``demo`` module (found by name, the way
    the admin finds ``admin.py``; portal imports no app), once the community exists."""
    from importlib import import_module

    from django.utils.module_loading import module_has_submodule

    for config in apps.get_app_configs():
        if not module_has_submodule(config.module, "demo"):
            continue
        hook = getattr(import_module(f"{config.name}.demo"), "seed", None)
        if callable(hook):
            hook(stdout=stdout, today=today)
