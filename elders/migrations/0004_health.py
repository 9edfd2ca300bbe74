"""The health station's data (issue 11): the screening cut-offs (thresholds) with their sources, and the
message telling a family doctor or grid worker about a follow-up.

Sources, stated as honestly as we can: the hypertension and diabetes cut-offs are those of the two national
guidelines named; the low-blood-pressure and heart-rate limits are the usual textbook definitions (《内科学》,
人民卫生出版社), not guideline cut-offs; the urgent heart-rate lines (<40, ≥130) are a working convention of
the health station, to be confirmed by its doctors. Staff edit every row on the thresholds page.
"""

from django.db import migrations

_HTN = "《中国高血压防治指南（2018年修订版）》"
_DM = "《中国2型糖尿病防治指南（2020年版）》"
_TEXTBOOK = "常用临床定义，见《内科学》（人民卫生出版社，第9版）；非指南切点"

THRESHOLDS = [
    # Blood pressure
    {
        "measure": "systolic",
        "direction": "high",
        "limit": "140",
        "level": "abnormal",
        "label": "收缩压≥140 mmHg（血压升高）",
        "source": f"{_HTN}：诊室收缩压≥140 mmHg 和/或舒张压≥90 mmHg 为高血压",
    },
    {
        "measure": "systolic",
        "direction": "high",
        "limit": "180",
        "level": "urgent",
        "label": "收缩压≥180 mmHg（3级高血压）",
        "source": f"{_HTN}：收缩压≥180 mmHg 为3级（重度）高血压",
    },
    {
        "measure": "diastolic",
        "direction": "high",
        "limit": "90",
        "level": "abnormal",
        "label": "舒张压≥90 mmHg（血压升高）",
        "source": f"{_HTN}：诊室收缩压≥140 mmHg 和/或舒张压≥90 mmHg 为高血压",
    },
    {
        "measure": "diastolic",
        "direction": "high",
        "limit": "110",
        "level": "urgent",
        "label": "舒张压≥110 mmHg（3级高血压）",
        "source": f"{_HTN}：舒张压≥110 mmHg 为3级（重度）高血压",
    },
    {
        "measure": "systolic",
        "direction": "low",
        "limit": "90",
        "level": "abnormal",
        "label": "收缩压<90 mmHg（血压偏低）",
        "source": f"低血压：收缩压<90 mmHg，{_TEXTBOOK}",
    },
]

_GLUCOSE_HIGH = {
    "glucose_fasting": ("7.0", "空腹血糖≥7.0 mmol/L（血糖升高）", "空腹血糖≥7.0 mmol/L 为糖尿病诊断切点"),
    "glucose_after_meal": (
        "11.1",
        "餐后2小时血糖≥11.1 mmol/L（血糖升高）",
        "OGTT 2小时血糖≥11.1 mmol/L 为糖尿病诊断切点",
    ),
    "glucose_random": (
        "11.1",
        "随机血糖≥11.1 mmol/L（血糖升高）",
        "随机血糖≥11.1 mmol/L（伴典型症状）为糖尿病诊断切点",
    ),
}
_GLUCOSE_NAMES = {
    "glucose_fasting": "空腹血糖",
    "glucose_after_meal": "餐后2小时血糖",
    "glucose_random": "随机血糖",
}

for _measure, (_limit, _label, _why) in _GLUCOSE_HIGH.items():
    _name = _GLUCOSE_NAMES[_measure]
    THRESHOLDS += [
        {
            "measure": _measure,
            "direction": "high",
            "limit": _limit,
            "level": "abnormal",
            "label": _label,
            "source": f"{_DM}：{_why}",
        },
        {
            "measure": _measure,
            "direction": "high",
            "limit": "16.7",
            "level": "urgent",
            "label": f"{_name}≥16.7 mmol/L（严重高血糖）",
            "source": f"{_DM}：血糖≥16.7 mmol/L 须警惕高血糖危象（酮症酸中毒、高渗状态），及时就医",
        },
        {
            "measure": _measure,
            "direction": "low",
            "limit": "3.9",
            "level": "abnormal",
            "label": f"{_name}<3.9 mmol/L（低血糖）",
            "source": f"{_DM}：糖尿病患者血糖<3.9 mmol/L 为低血糖",
        },
        {
            "measure": _measure,
            "direction": "low",
            "limit": "3.0",
            "level": "urgent",
            "label": f"{_name}<3.0 mmol/L（严重低血糖）",
            "source": f"{_DM}：血糖<3.0 mmol/L 为2级低血糖，需立即处理",
        },
    ]

THRESHOLDS += [
    {
        "measure": "heart_rate",
        "direction": "low",
        "limit": "60",
        "level": "abnormal",
        "label": "心率<60次/分（心动过缓）",
        "source": f"窦性心动过缓：静息心率<60次/分，{_TEXTBOOK}",
    },
    {
        "measure": "heart_rate",
        "direction": "high",
        "limit": "100",
        "level": "abnormal",
        "label": "心率≥100次/分（心动过速）",
        "source": f"窦性心动过速：静息心率>100次/分（本站按≥100计），{_TEXTBOOK}",
    },
    {
        "measure": "heart_rate",
        "direction": "low",
        "limit": "40",
        "level": "urgent",
        "label": "心率<40次/分（严重心动过缓）",
        "source": "社区卫生服务站的处置约定（非指南切点），请站内医生确认",
    },
    {
        "measure": "heart_rate",
        "direction": "high",
        "limit": "130",
        "level": "urgent",
        "label": "心率≥130次/分（严重心动过速）",
        "source": "社区卫生服务站的处置约定（非指南切点），请站内医生确认",
    },
]

TEMPLATES = [
    {
        "code": "elders.health_followup",
        "description": (
            "A flagged health reading needs a follow-up by the family doctor or grid worker. Context: elder, "
            "level, clinic, due. No readings in the text: the details are on the portal's follow-ups page."
        ),
        "subject_zh": "健康随访：{{ elder }}",
        "body_zh": (
            "{{ recipient_name }}，您好！{{ elder }}在{{ clinic }}的健康检测中有{{ level }}结果，"
            "请在{{ due }}前完成随访，并在社区平台“健康随访”中登记结果。"
        ),
        "subject_en": "Health follow-up: {{ elder }}",
        "body_en": (
            "Hello {{ recipient_name }}, {{ elder }} had a reading flagged {{ level }} at {{ clinic }}. "
            'Please follow up by {{ due }} and record the outcome under "Health follow-ups" on the portal.'
        ),
    },
]


def create_data(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    Threshold = apps.get_model("elders", "Threshold")
    for data in TEMPLATES:
        MessageTemplate.objects.get_or_create(code=data["code"], defaults=data)
    for data in THRESHOLDS:
        Threshold.objects.get_or_create(
            measure=data["measure"],
            direction=data["direction"],
            level=data["level"],
            is_active=True,
            defaults=data,
        )


def remove_data(apps, schema_editor):
    MessageTemplate = apps.get_model("notify", "MessageTemplate")
    Threshold = apps.get_model("elders", "Threshold")
    MessageTemplate.objects.filter(code__in=[d["code"] for d in TEMPLATES], messages__isnull=True).delete()
    for data in THRESHOLDS:
        Threshold.objects.filter(
            measure=data["measure"], direction=data["direction"], level=data["level"], label=data["label"]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("elders", "0003_partners"), ("notify", "0002_default_templates")]

    operations = [migrations.RunPython(create_data, remove_data)]
