"""The explanation of every check in Russian, Kazakh and English, in one place for translators.

Each function returns ``{"ru": ..., "kk": ..., "en": ...}``. Numbers are written the way the
pages and the decision letter write them in that language (``250 000`` and ``12,5`` in Russian and
Kazakh, ``250,000`` and ``12.5`` in English; no exponent, no needless trailing zeros; a no-break
space so that a number never wraps), so that a farmer can compare them with the paper extract and
with the amount above them. ``number`` and ``money`` stay plain: they write the facts the rules
record. Owners' IINs never appear: explanations are shown to the applicant and stored with the
evaluation, and a cooperative's members are private persons.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

Texts = dict[str, str]

# Russian genitive plural (after "голов"), Kazakh and English names of each species.
SPECIES_NAMES = {
    "cattle": ("КРС", "ІҚМ", "cattle"),
    "sheep": ("овец", "қой", "sheep"),
    "goats": ("коз", "ешкі", "goats"),
    "horses": ("лошадей", "жылқы", "horses"),
    "camels": ("верблюдов", "түйе", "camels"),
    "pigs": ("свиней", "шошқа", "pigs"),
    "poultry": ("птицы", "құс", "poultry"),
}
_MET = {"ru": "условие выполнено", "kk": "шарт орындалды", "en": "the condition is met"}


def number(value: int | Decimal) -> str:
    """42 -> "42", Decimal("12.50") -> "12.5", Decimal("10.00") -> "10"."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def money(value: Decimal) -> str:
    return format(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP), "f")


def percent(share: Decimal) -> str:
    return number((share * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


# (thousands separator, decimal separator) of each language, as Babel's locales have them.
_SEPARATORS = {"ru": ("\u00a0", ","), "kk": ("\u00a0", ","), "en": (",", ".")}


def local(plain: str, lang: str) -> str:
    """Plain decimal text ("1250000.5") as ``lang`` writes it ("1 250 000,5", "1,250,000.5")."""
    group, point = _SEPARATORS[lang]
    sign, plain = ("-", plain[1:]) if plain.startswith("-") else ("", plain)
    whole, _, fraction = plain.partition(".")
    groups = [whole[max(0, end - 3) : end] for end in range(len(whole), 0, -3)][::-1]
    text = sign + group.join(groups)
    return f"{text}{point}{fraction}" if fraction else text


def shown(value: int | Decimal, plain: Callable[[Decimal], str] = number) -> Texts:
    """``value`` in each language; ``plain``: number, money or percent."""
    text = plain(Decimal(value))
    return {lang: local(text, lang) for lang in _SEPARATORS}


def ru_plural(count: int, one: str, few: str, many: str) -> str:
    tail = abs(count) % 100
    if 11 <= tail <= 14:
        return many
    tail %= 10
    return one if tail == 1 else few if 2 <= tail <= 4 else many


def ru_heads(count: int) -> str:
    return f"{local(number(count), 'ru')} {ru_plural(count, 'голова', 'головы', 'голов')}"


def ru_of_heads(count: int) -> str:
    """Genitive after "из": из 1 головы, из 2 голов, из 21 головы."""
    return f"{local(number(count), 'ru')} {ru_plural(count, 'головы', 'голов', 'голов')}"


def species_names(species: str) -> tuple[str, str, str]:
    return SPECIES_NAMES.get(species, (species, species, species))


def _verdict(texts: Texts, passed: bool) -> Texts:
    if not passed:
        return texts
    return {lang: f"{text} — {_MET[lang]}" for lang, text in texts.items()}


def min_heads(species: str, heads: int, minimum: int, passed: bool) -> Texts:
    ru, kk, en = species_names(species)
    have, need = shown(heads), shown(minimum)
    return _verdict(
        {
            "ru": f"В реестре {ru_heads(heads)} {ru}, требуется не менее {need['ru']}",
            "kk": f"Тізілімде {have['kk']} бас {kk}, кемінде {need['kk']} қажет",
            "en": f"The registry shows {have['en']} head of {en}; "
            f"at least {need['en']} are required",
        },
        passed,
    )


def identified_share(
    species: str, heads: int, identified: int, min_share: Decimal, passed: bool
) -> Texts:
    ru, kk, en = species_names(species)
    need = shown(min_share, percent)
    if heads == 0:
        return {
            "ru": f"В реестре нет {ru}; требуется не менее {need['ru']} % идентифицированных голов",
            "kk": f"Тізілімде {kk} жоқ; кемінде {need['kk']} % бірдейлендірілген мал басы қажет",
            "en": f"The registry shows no {en}; at least {need['en']}% must be identified",
        }
    share = shown(Decimal(identified) / Decimal(heads), percent)
    have, found = shown(heads), shown(identified)
    return _verdict(
        {
            "ru": f"Идентифицировано {found['ru']} из {ru_of_heads(heads)} {ru} "
            f"({share['ru']} %), требуется не менее {need['ru']} %",
            "kk": f"Тізілімдегі {have['kk']} бас {kk} ішінде {found['kk']} басы "
            f"бірдейлендірілген ({share['kk']} %), кемінде {need['kk']} % қажет",
            "en": f"{found['en']} of {have['en']} head of {en} are identified ({share['en']}%); "
            f"at least {need['en']}% is required",
        },
        passed,
    )


def min_land(hectares: Decimal, minimum: Decimal, passed: bool) -> Texts:
    have, need = shown(hectares), shown(minimum)
    return _verdict(
        {
            "ru": f"В реестре {have['ru']} га земли, требуется не менее {need['ru']} га",
            "kk": f"Тізілімде {have['kk']} га жер тіркелген, кемінде {need['kk']} га қажет",
            "en": f"The land registry shows {have['en']} ha; at least {need['en']} ha is required",
        },
        passed,
    )


def tax_arrears(arrears: Decimal | None, maximum: Decimal, passed: bool) -> Texts:
    if arrears is None or arrears == 0:
        return {
            "ru": "Налоговой задолженности нет",
            "kk": "Салық берешегі жоқ",
            "en": "No tax arrears",
        }
    owed = shown(arrears, money)
    if maximum == 0:
        return {
            "ru": f"Налоговая задолженность {owed['ru']} тенге; субсидия назначается только "
            "без задолженности",
            "kk": f"Салық берешегі {owed['kk']} теңге; субсидия тек берешегі жоқ болса беріледі",
            "en": f"Tax arrears of {owed['en']} KZT; the subsidy requires no arrears",
        }
    limit = shown(maximum, money)
    return _verdict(
        {
            "ru": f"Налоговая задолженность {owed['ru']} тенге, допускается не более "
            f"{limit['ru']} тенге",
            "kk": f"Салық берешегі {owed['kk']} теңге, ең көбі {limit['kk']} теңгеге рұқсат "
            "етіледі",
            "en": f"Tax arrears of {owed['en']} KZT; at most {limit['en']} KZT is allowed",
        },
        passed,
    )


def members_not_applicable() -> Texts:
    return {
        "ru": "Не применяется: условие о числе членов касается только кооперативов",
        "kk": "Қолданылмайды: мүшелер саны туралы шарт тек кооперативтерге қатысты",
        "en": "Not applicable: the membership condition concerns cooperatives only",
    }


def members(count: int, minimum: int, passed: bool) -> Texts:
    noun = ru_plural(count, "член", "члена", "членов")
    word = "member" if count == 1 else "members"
    have, need = shown(count), shown(minimum)
    return _verdict(
        {
            "ru": f"В кооперативе {have['ru']} {noun}, требуется не менее {need['ru']}",
            "kk": f"Кооперативте {have['kk']} мүше бар, кемінде {need['kk']} қажет",
            "en": f"The cooperative has {have['en']} {word}; at least {need['en']} are required",
        },
        passed,
    )


def one_application(numbers: Iterable[str]) -> Texts:
    listed = ", ".join(numbers)
    if not listed:
        return {
            "ru": "Других заявок заявителя по этой программе нет",
            "kk": "Өтініш берушінің осы бағдарлама бойынша басқа өтінімі жоқ",
            "en": "The applicant has no other application in this program",
        }
    return {
        "ru": f"У заявителя уже есть заявка {listed} по этой программе; допускается одна заявка",
        "kk": f"Өтініш берушінің осы бағдарлама бойынша {listed} өтінімі бар; "
        "тек бір өтінімге рұқсат етіледі",
        "en": f"The applicant already has application {listed} in this program; "
        "only one is allowed",
    }


def quantity_heads(species: str, claimed: Decimal, identified: int, passed: bool) -> Texts:
    ru, kk, en = species_names(species)
    asked, have = shown(int(claimed)), shown(identified)
    return _verdict(
        {
            "ru": f"Заявлено голов {ru}: {asked['ru']}, в реестре идентифицировано: {have['ru']}",
            "kk": f"{asked['kk']} бас {kk} мәлімделді, тізілімде {have['kk']} басы "
            "бірдейлендірілген",
            "en": f"{asked['en']} head of {en} claimed; the registry shows {have['en']} identified",
        },
        passed,
    )


def quantity_hectares(claimed: Decimal, registered: Decimal, passed: bool) -> Texts:
    asked, have = shown(claimed), shown(registered)
    return _verdict(
        {
            "ru": f"Заявлено {asked['ru']} га, в реестре по заявленным участкам {have['ru']} га",
            "kk": f"{asked['kk']} га мәлімделді, тізілімде мәлімделген учаскелер бойынша "
            f"{have['kk']} га",
            "en": f"{asked['en']} ha claimed; the land registry shows {have['en']} ha on the "
            "claimed parcels",
        },
        passed,
    )


def quantity_liters(
    species: str, claimed: Decimal, identified: int, per_head: Decimal, passed: bool
) -> Texts:
    ru, kk, en = species_names(species)
    asked, each = shown(claimed), shown(per_head)
    limit, heads = shown(per_head * identified), shown(identified)
    return _verdict(
        {
            "ru": f"Заявлено {asked['ru']} л молока; идентифицированных голов {ru} в реестре: "
            f"{heads['ru']}, допускается не более {limit['ru']} л ({each['ru']} л на голову)",
            "kk": f"{asked['kk']} л сүт мәлімделді; бірдейлендірілген {heads['kk']} бас {kk} "
            f"үшін ең көбі {limit['kk']} л рұқсат етіледі (бір басқа {each['kk']} л)",
            "en": f"{asked['en']} l of milk claimed; {heads['en']} identified head of {en} allow "
            f"at most {limit['en']} l ({each['en']} l per head)",
        },
        passed,
    )


def quantity_not_applicable() -> Texts:
    return {
        "ru": "Не применяется: сумма вложений не сверяется с реестрами",
        "kk": "Қолданылмайды: инвестиция сомасы тізілімдермен салыстырылмайды",
        "en": "Not applicable: an investment amount is not checked against the registries",
    }


class Conflict(NamedTuple):
    """Another application claiming some of the same things."""

    number: str
    parcels: list[str]
    species: list[str]  # herds of the same owners, by species
    animals: list[str]  # identified animals, by id


def double_funding(conflicts: list[Conflict]) -> Texts:
    if not conflicts:
        return {
            "ru": "Участки и поголовье не заявлены в других заявках по этой программе",
            "kk": "Учаскелер мен мал басы осы бағдарламаның басқа өтінімдерінде мәлімделмеген",
            "en": "No other application in this program claims the same land or animals",
        }
    texts: dict[str, list[str]] = {"ru": [], "kk": [], "en": []}
    for other, parcels, species, animals in conflicts:
        ru, kk, en = _claimed_parts(parcels, species, animals)
        texts["ru"].append(f"Заявка {other} уже включает {ru}")
        texts["kk"].append(f"{other} өтінімі {kk} бұрыннан қамтиды")
        texts["en"].append(f"Application {other} already claims {en}")
    endings = {
        "ru": "одни и те же земли и животных нельзя субсидировать дважды",
        "kk": "бір жер мен малды екі рет субсидиялауға болмайды",
        "en": "the same land or animals cannot be funded twice",
    }
    return {lang: "; ".join([*parts, endings[lang]]) for lang, parts in texts.items()}


def _claimed_parts(
    parcels: list[str],
    species: list[str],
    animals: list[str] = (),  # type: ignore[assignment]
) -> tuple[str, str, str]:
    ru: list[str] = []
    kk: list[str] = []
    en: list[str] = []
    if animals:
        listed = ", ".join(animals)
        ru.append(f"{'животное' if len(animals) == 1 else 'животных'} {listed}")
        kk.append(f"{listed} {'жануарын' if len(animals) == 1 else 'жануарларын'}")
        en.append(f"{'animal' if len(animals) == 1 else 'animals'} {listed}")
    if parcels:
        listed = ", ".join(parcels)
        ru.append(f"{'участок' if len(parcels) == 1 else 'участки'} {listed}")
        kk.append(f"{listed} {'учаскесін' if len(parcels) == 1 else 'учаскелерін'}")
        en.append(f"{'parcel' if len(parcels) == 1 else 'parcels'} {listed}")
    for name in species:
        ru_name, kk_name, en_name = species_names(name)
        ru.append(f"поголовье {ru_name} тех же владельцев")
        kk.append(f"сол иелердің {kk_name} басын")
        en.append(f"the same owners' {en_name}")
    return " и ".join(ru), " және ".join(kk), " and ".join(en)


def _ids(failing: Sequence[tuple[str, int]], unit: dict[str, str], lang: str) -> str:
    return ", ".join(f"{animal} ({value} {unit[lang]})" for animal, value in failing)


_MONTHS = {"ru": "мес.", "kk": "ай", "en": "months"}
_DAYS = {"ru": "дн.", "kk": "күн", "en": "days"}


def animal_age(count: int, low: int, high: int, failing: Sequence[tuple[str, int]]) -> Texts:
    """``failing``: (animal id, age in whole months) of each animal outside the range."""
    if not failing:
        return _verdict(
            {
                "ru": f"Возраст всех {count} заявленных животных от {low} до {high} мес.",
                "kk": f"Мәлімделген {count} жануардың бәрінің жасы {low}–{high} ай",
                "en": f"All {count} claimed animals are {low} to {high} months old",
            },
            True,
        )
    return {
        "ru": f"Возраст должен быть от {low} до {high} мес.; не подходят: "
        f"{_ids(failing, _MONTHS, 'ru')}",
        "kk": f"Жасы {low}–{high} ай болуы керек; сәйкес келмейді: {_ids(failing, _MONTHS, 'kk')}",
        "en": f"Animals must be {low} to {high} months old; outside that: "
        f"{_ids(failing, _MONTHS, 'en')}",
    }


def animals_owned_since(count: int, days: int, failing: Sequence[tuple[str, int]]) -> Texts:
    """``failing``: (animal id, days registered to the owner) of each animal held too briefly."""
    if not failing:
        return _verdict(
            {
                "ru": f"Все {count} заявленных животных зарегистрированы за владельцем не менее "
                f"{days} дн.",
                "kk": f"Мәлімделген {count} жануардың бәрі иесінде кемінде {days} күн тіркелген",
                "en": f"All {count} claimed animals have been registered to their owner for at "
                f"least {days} days",
            },
            True,
        )
    return {
        "ru": f"Животное должно быть за владельцем не менее {days} дн.; меньше: "
        f"{_ids(failing, _DAYS, 'ru')}",
        "kk": f"Жануар иесінде кемінде {days} күн болуы керек; аз: {_ids(failing, _DAYS, 'kk')}",
        "en": f"Animals must have been the owner's for at least {days} days; held less: "
        f"{_ids(failing, _DAYS, 'en')}",
    }


def no_identified_animals(species: str) -> Texts:
    ru, kk, en = species_names(species)
    return {
        "ru": f"Нет выписки базы идентификации животных: возраст и владение {ru} не проверить",
        "kk": f"Жануарларды бірдейлендіру базасының үзіндісі жоқ: {kk} жасы мен иелігін "
        "тексеру мүмкін емес",
        "en": f"No extract of the animal identification database: the {en}'s age and ownership "
        "cannot be checked",
    }


def animals_not_applicable() -> Texts:
    return {
        "ru": "Не применяется: программа не субсидирует отдельных животных",
        "kk": "Қолданылмайды: бағдарлама жекелеген жануарларды субсидияламайды",
        "en": "Not applicable: the program does not fund individual animals",
    }
