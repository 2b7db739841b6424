"""Districts and cities of regional significance of East Kazakhstan region, as they are now.

The region shrank on 8 June 2022, when Abai region (centre Semey) was formed from
Semey, Kurchatov and the Abai, Ayagoz, Beskaragai, Borodulikha, Zharma,
Kokpekty and Urzhar districts (Aksuat was restored there too). Samar district was
restored in East Kazakhstan the same day, carved back out of Kokpekty district.
From 1 January 2024 Markakol district was carved out of Kurchum district and
Ulken Naryn district out of Katon-Karagay district, whose centre moved to the
village of Katon-Karagay.

Codes are KATO (classifier of administrative-territorial objects, КАТО / ҚАТО)
codes of the second level: 63 is the region, the next two digits the unit,
padded to nine digits as the classifier writes them. Cities of regional
significance are listed as their city administrations ("Г.А."), which also hold
the villages around them where farms are registered.

Russian names follow the classifier, which keeps the Kazakh form for the units
created since 2019 ("район Алтай", "район Самар", "район Марқакөл").
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class District:
    code: str
    name_ru: str
    name_kk: str
    name_en: str


REGION_CODE = "630000000"

DISTRICTS: tuple[District, ...] = (
    District("631000000", "город Усть-Каменогорск", "Өскемен қаласы", "Ust-Kamenogorsk (Oskemen)"),
    District("632400000", "город Риддер", "Риддер қаласы", "Ridder"),
    District("634000000", "Глубоковский район", "Глубокое ауданы", "Glubokoye District"),
    District("634600000", "Зайсанский район", "Зайсан ауданы", "Zaysan District"),
    District("634800000", "район Алтай", "Алтай ауданы", "Altai District"),
    District("635200000", "Курчумский район", "Күршім ауданы", "Kurchum District"),
    District(
        "635400000", "Катон-Карагайский район", "Катонқарағай ауданы", "Katon-Karagay District"
    ),
    District("635500000", "район Марқакөл", "Марқакөл ауданы", "Markakol District"),
    District("635600000", "район Самар", "Самар ауданы", "Samar District"),
    District("635800000", "Тарбагатайский район", "Тарбағатай ауданы", "Tarbagatay District"),
    District("636200000", "Уланский район", "Ұлан ауданы", "Ulan District"),
    District("636300000", "район Үлкен Нарын", "Үлкен Нарын ауданы", "Ulken Naryn District"),
    District("636800000", "Шемонаихинский район", "Шемонаиха ауданы", "Shemonaikha District"),
)

DISTRICTS_BY_CODE: dict[str, District] = {district.code: district for district in DISTRICTS}

# The two cities of regional significance; the rest are rural districts.
CITY_CODES: tuple[str, ...] = ("631000000", "632400000")
