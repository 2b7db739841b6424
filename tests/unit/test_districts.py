from __future__ import annotations

import dataclasses
import re

import pytest

from subsidy.districts.data import CITY_CODES, DISTRICTS, DISTRICTS_BY_CODE, District

KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")
# Cyrillic (with the Kazakh letters), spaces and hyphens: no Latin look-alikes.
KAZAKH_SCRIPT = re.compile(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі \-]+")


def test_at_least_nine_units_with_unique_codes() -> None:
    assert len(DISTRICTS) >= 9
    codes = [district.code for district in DISTRICTS]
    assert len(set(codes)) == len(codes)
    assert set(DISTRICTS_BY_CODE) == set(codes)


def test_codes_are_kato_codes_of_east_kazakhstan() -> None:
    for district in DISTRICTS:
        assert re.fullmatch(r"63\d{2}00000", district.code), district


def test_current_units_after_the_2022_split() -> None:
    names = {district.name_en for district in DISTRICTS}
    # Restored in 2022 (Samar) and 2024 (Markakol, Ulken Naryn).
    assert {"Samar District", "Markakol District", "Ulken Naryn District"} <= names
    # Went to Abai region in 2022.
    for gone in ("Semey", "Kurchatov", "Kokpekty", "Ayagoz", "Zharma", "Urzhar", "Abai"):
        assert not any(gone in name for name in names)


def test_cities_of_regional_significance_are_units() -> None:
    assert set(CITY_CODES) <= set(DISTRICTS_BY_CODE)
    kazakh = {DISTRICTS_BY_CODE[code].name_kk for code in CITY_CODES}
    assert kazakh == {"Өскемен қаласы", "Риддер қаласы"}


@pytest.mark.parametrize("district", DISTRICTS, ids=lambda d: d.code)
def test_kazakh_names_use_kazakh_script(district: District) -> None:
    assert KAZAKH_SCRIPT.fullmatch(district.name_kk), district.name_kk
    assert district.name_kk.endswith((" ауданы", " қаласы"))
    assert district.name_ru and district.name_en.isascii()


def test_kazakh_specific_letters_are_used_where_the_names_have_them() -> None:
    with_letters = [d.name_kk for d in DISTRICTS if KAZAKH_LETTERS & set(d.name_kk)]
    # Өскемен, Катонқарағай, Күршім, Марқакөл, Тарбағатай, Ұлан, Үлкен Нарын, ...
    assert len(with_letters) >= 7
    expected = {"Катонқарағай ауданы", "Күршім ауданы", "Тарбағатай ауданы", "Ұлан ауданы"}
    assert expected <= {d.name_kk for d in DISTRICTS}


def test_district_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DISTRICTS[0].code = "X"  # type: ignore[misc]
