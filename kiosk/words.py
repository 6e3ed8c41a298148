"""The fixed words both screens show (the kiosk's and the rating pad's): their shared buttons,
each in Chinese and English (pure data, no widgets)."""

from __future__ import annotations

from collections.abc import Sequence

from kiosk.model import Notice

W = Notice  # a fixed pair of words

BACK = W("返回", "Back")
LANGUAGE = {"zh": W("中文", "中文"), "en": W("English", "English")}  # named in themselves
ELDERLY_ON = W("长辈模式", "Large text")
ELDERLY_OFF = W("标准模式", "Standard text")
HELPER = W("呼叫工作人员", "Call staff")


def language_switch(current: str, languages: Sequence[str]) -> Notice:
    """The label of the language button: the language a tap switches to, named in itself
    (the first configured one when `current` is not configured)."""
    langs = list(languages)
    nxt = langs[(langs.index(current) + 1) % len(langs)] if current in langs else langs[0]
    return LANGUAGE.get(nxt, W(nxt, nxt))
