"""Every string the pages show has a translation in Russian, Kazakh and English, and the
catalogues are up to date with the code (a string added without translations fails here)."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "subsidy" / "translations"
LANGUAGES = ("ru", "kk", "en")


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    pot = tmp_path_factory.mktemp("i18n") / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "lazy_gettext",
            "-k",
            "_l",
            "-o",
            str(pot),
            "subsidy",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    with pot.open("rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(extracted, language):
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    missing, fuzzy = [], []
    for msgid in sorted(extracted, key=str):
        message = catalog.get(msgid)
        strings = message.string if message else None
        values = strings if isinstance(strings, tuple) else (strings,)
        if message is None or not all(values):
            missing.append(msgid)
        elif message.fuzzy:
            fuzzy.append(msgid)
    assert missing == [], f"{language}: untranslated {missing[:10]} (+{max(0, len(missing) - 10)})"
    assert fuzzy == [], f"{language}: fuzzy {fuzzy[:10]}"


def test_there_is_something_to_translate(extracted):
    assert len(extracted) > 50
