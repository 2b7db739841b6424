"""Kazakh and Russian words and number formats of the decision document.

Numbers follow the local convention, "12 345 678,50 ₸": digits grouped by a no-break space (so an
amount never wraps inside itself) and a decimal comma.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from subsidy.eligibility import texts

NBSP = "\u00a0"

# (kk, ru)
APPLICANT_KINDS = {
    "individual": ("жеке тұлға", "физическое лицо"),
    "peasant_farm": ("шаруа (фермер) қожалығы", "крестьянское (фермерское) хозяйство"),
    "legal_entity": ("заңды тұлға", "юридическое лицо"),
    "cooperative": ("ауыл шаруашылығы кооперативі", "сельскохозяйственный кооператив"),
}
SNAPSHOT_NAMES = {
    "livestock": "мал / скот",
    "animals": "жануарларды бірдейлендіру / идентификация животных",
    "land": "жер / земля",
    "tax": "салық / налоги",
}
# Each eligibility rule as a letter names its check (the rule's id is the program file's word).
RULE_TITLES = {
    "min_livestock_heads": ("Мал басының ең аз саны", "Минимальное поголовье"),
    "identified_livestock_share": (
        "Бірдейлендірілген мал үлесі",
        "Доля идентифицированного поголовья",
    ),
    "min_land_hectares": ("Жердің ең аз көлемі", "Минимальная площадь земли"),
    "no_tax_arrears": ("Салық берешегінің болмауы", "Отсутствие налоговой задолженности"),
    "cooperative_min_members": (
        "Кооператив мүшелерінің ең аз саны",
        "Минимальное число членов кооператива",
    ),
    "one_application_per_applicant": (
        "Бағдарлама бойынша бір өтінім",
        "Одна заявка по программе",
    ),
    "quantity_within_registry": (
        "Мәлімделген көлемнің тізілімге сәйкестігі",
        "Заявленный объём в пределах данных реестров",
    ),
    "no_double_funding": (
        "Қосарланған қаржыландырудың болмауы",
        "Отсутствие двойного финансирования",
    ),
    "animal_age": ("Жануарлардың жасы", "Возраст животных"),
    "animals_owned_since": ("Жануарларды иелену мерзімі", "Срок владения животными"),
}
# A check of a rule this version does not know (never its id: that is no word for a farmer).
OTHER_CHECK = ("Сәйкестік шарты", "Условие соответствия")
# What each deciding official did.
OFFICIAL_ROLE_NAMES = {
    "first_approval": ("бірінші келісім", "первое одобрение"),
    "decision": ("шешім", "решение"),
}
# The legal basis every letter names besides its program's own: the region's resolution that
# sets the volumes and norms, and, for a program that names none, the Minister's Rules.
AKIMAT_BASIS = (
    "Субсидиялар көлемі мен нормативтері — Шығыс Қазақстан облысы әкімдігінің ауыл "
    "шаруашылығын субсидиялау туралы қаулысы бойынша.",
    "Объёмы и нормативы субсидий — по постановлению акимата Восточно-Казахстанской области о "
    "субсидировании сельского хозяйства.",
)
RULES_BASIS = (
    "Қазақстан Республикасы Ауыл шаруашылығы министрінің бұйрығымен бекітілген субсидиялау "
    "қағидалары.",
    "Правила субсидирования, утверждённые приказом Министра сельского хозяйства Республики "
    "Казахстан.",
)


def rule_title(rule: str) -> tuple[str, str]:
    """(kk, ru) name of a check of ``rule``."""
    return RULE_TITLES.get(rule, OTHER_CHECK)


# Unit after a quantity, and after a rate ("45,00 ₸ / л").
QUANTITY_UNITS = {"liter": "л", "head": "бас / гол.", "hectare": "га"}
RATE_UNITS = {"liter": "л", "head": "бас / голову", "hectare": "га"}


def date_text(day: date) -> str:
    return f"{day:%d.%m.%Y}"


def grouped(plain: str) -> str:
    """Plain decimal text grouped the local way: "12345678.50" -> "12 345 678,50"."""
    sign, plain = ("-", plain[1:]) if plain.startswith("-") else ("", plain)
    whole, _, fraction = plain.partition(".")
    groups: list[str] = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    text = sign + NBSP.join(groups)
    return f"{text},{fraction}" if fraction else text


def money_text(amount: Decimal, tenge: str = "₸") -> str:
    return f"{grouped(texts.money(amount))}{NBSP}{tenge}"


def quantity_text(quantity: Decimal, unit: str, tenge: str = "₸") -> str:
    if unit == "tenge":
        return money_text(quantity, tenge)
    return f"{grouped(texts.number(quantity))}{NBSP}{QUANTITY_UNITS.get(unit, unit)}"


def rate_text(rate: Decimal, unit: str, tenge: str = "₸") -> str:
    """Money per unit; a tenge program's rate is the share of the amount paid."""
    if unit == "tenge":
        return f"{texts.percent(rate)}{NBSP}%"
    return f"{money_text(rate, tenge)} / {RATE_UNITS.get(unit, unit)}"


# --- appeals ----------------------------------------------------------------------------------

APPEAL_MONTHS = 3  # an appeal is filed within 3 months (the Administrative Procedure Code)
APPEAL_ANSWER_DAYS = 5  # working days the regional office takes to decide one (CONTRACT)
COURT = (
    "Осы шешімге Қазақстан Республикасының Әкімшілік рәсімдік-процестік кодексінде "
    "белгіленген тәртіппен сотқа шағым жасалуы мүмкін.",
    "Настоящее решение может быть обжаловано в суд в порядке, установленном "
    "Административным процедурно-процессуальным кодексом Республики Казахстан.",
)
# (kk subject, kk "since", ru subject, ru "since") of the letters that may be appealed.
_APPEALABLE = {
    "approval": (
        "Шешімге, соның ішінде бекітілген сомаға,",
        "шешім қабылданған күннен бастап",
        "Решение, в том числе одобренная сумма,",
        "со дня его принятия",
    ),
    "rejection": (
        "Шешімге",
        "шешім қабылданған күннен бастап",
        "Решение",
        "со дня его принятия",
    ),
    "notice": (
        "Хабарламаға",
        "хабарлама берілген күннен бастап",
        "Уведомление",
        "со дня его выдачи",
    ),
}


def appeal_rule(letter: str, until: date | None, *, through_service: bool) -> tuple[str, str]:
    """(kk, ru): to whom, under which law and by when ``letter`` (approval, rejection, notice)
    may be appealed. ``through_service``: the service takes the appeal (and answers it within
    5 working days); otherwise the letter names only the office and the law."""
    kk_subject, kk_since, ru_subject, ru_since = _APPEALABLE[letter]
    kk_until = f", {date_text(until)} дейін (қоса алғанда)," if until else ""
    ru_until = f", до {date_text(until)} включительно," if until else ""
    kk = (
        f"{kk_subject} {kk_since} үш ай ішінде{kk_until} Қазақстан Республикасының Әкімшілік "
        f"рәсімдік-процестік кодексіне сәйкес{' сервис арқылы' if through_service else ''} "
        "облыстың ауыл шаруашылығы басқармасына шағым беруге болады."
    )
    ru = (
        f"{ru_subject} может быть обжаловано{' через сервис' if through_service else ''} "
        f"в управление сельского хозяйства области в течение трёх месяцев {ru_since}{ru_until} "
        "в соответствии с Административным процедурно-процессуальным кодексом Республики "
        "Казахстан."
    )
    if through_service:
        kk += f" Шағым {APPEAL_ANSWER_DAYS} жұмыс күні ішінде қаралады."
        ru += f" Жалоба рассматривается в течение {APPEAL_ANSWER_DAYS} рабочих дней."
    return kk, ru
