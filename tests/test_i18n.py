"""Every user-facing string has a translation, with the same placeholders."""

import subprocess
import sys
from pathlib import Path

from bot.i18n import gettext, lang_from_telegram, translator

ROOT = Path(__file__).resolve().parent.parent


def test_catalogues_are_complete() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "update_catalogs.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr


def test_language_choice_from_telegram() -> None:
    assert lang_from_telegram("zh-hans") == "zh_Hans"
    assert lang_from_telegram("zh-TW") == "zh_Hant"
    assert lang_from_telegram("zh-hk") == "zh_Hant"
    assert lang_from_telegram("en-GB") == "en"
    assert lang_from_telegram("ru") == "zh_Hans"
    assert lang_from_telegram(None) == "zh_Hans"


def test_translation_lookup() -> None:
    assert gettext("en", "好的") == "OK"
    assert translator("zh_Hant")("取消") == "取消"
    assert translator("xx")("好的") == "好的"
    assert gettext("en", "never-seen message") == "never-seen message"


def test_traditional_catalogues_use_one_standard() -> None:
    """Taiwan's characters throughout (群裡, 核對, 為), never mixed with variants."""
    from tools.update_catalogs import _taiwan

    assert _taiwan("羣裏") == "群裡" and _taiwan("覈對") == "核對" and _taiwan("爲") == "為"
    folder = Path(__file__).resolve().parent.parent / "bot" / "locales" / "zh_Hant" / "LC_MESSAGES"
    for po in folder.glob("*.po"):
        text = po.read_text(encoding="utf-8")
        assert _taiwan(text) == text, f"{po.name} mixes Traditional variants"


def test_english_counts_of_one_are_singular() -> None:
    from bot.i18n import translator

    _ = translator("en")
    template = "{p} households took part of {r} registered, turnout {t}"
    assert _(template) == template or _(template).format(p=1, r=21, t="5%").startswith(
        "1 household "
    )
    text = _("{p} households took part of {r} registered, turnout {t}").format(p=1, r=21, t="5%")
    assert "1 household " in text and "21" in text
    assert "2 households" in _("{p} households took part of {r} registered, turnout {t}").format(
        p=2, r=21, t="10%"
    )


def test_data_text_is_traditional_for_zh_hant_only() -> None:
    """Names staff typed are data: Traditional for zh_Hant readers, as typed for the others;
    a default item name that is a catalogue message keeps its translation."""
    from bot.i18n import data_text

    assert data_text(translator("zh_Hant"), "楼道灯") == "樓道燈"
    assert data_text(translator("zh_Hans"), "楼道灯") == "楼道灯"
    assert data_text(translator("en"), "楼道灯") == "楼道灯"
    assert data_text(translator("en"), "整修围墙和大门") == translator("en")("整修围墙和大门")
    assert translator("en")("整修围墙和大门") != "整修围墙和大门"
    assert data_text(translator("zh_Hant"), "整修围墙和大门") == "整修圍牆和大門"
