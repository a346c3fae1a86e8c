"""The word lists: well-formed, compilable and used by some reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from registration_bot.lexicon import (
    either,
    en,
    en_diet,
    en_mail,
    en_privacy,
    phrases,
    sv,
    sv_diet,
    sv_mail,
    sv_privacy,
    words,
)

MODULES = (sv, en, sv_diet, en_diet, sv_privacy, en_privacy, sv_mail, en_mail)
# Lists the docstring says are matched as written, so they may hold capitals,
# and ORG_WORDS, matched ignoring case but kept as company forms are written ("AB", "Ltd").
AS_WRITTEN = {"NOT_ORG_STARTS", "GUEST_LEAD_WORDS", "ORG_NAME_WORDS", "MYSELF", "ORG_WORDS"}
SOURCE = Path(__file__).parent.parent / "registration_bot"


def _lists():
    for module in MODULES:
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, tuple | frozenset | dict):
                yield module.__name__.rsplit(".", 1)[1], name, value


def _phrases(value):
    if isinstance(value, dict):
        return [p for v in value.values() for p in (v if isinstance(v, tuple) else (v,)) if isinstance(p, str)]
    return [p for p in value if isinstance(p, str)]


@pytest.mark.parametrize(("module", "name", "value"), list(_lists()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_phrase_compiles_without_capturing_groups(module, name, value):
    for phrase in _phrases(value):
        compiled = re.compile(phrase)
        assert compiled.groups == 0, f"{module}.{name}: {phrase!r} has a capturing group"
        if name not in AS_WRITTEN:
            assert phrase == phrase.lower() or "\\" in phrase, f"{module}.{name}: {phrase!r} is not lower case"


def test_every_list_is_used_by_a_reader():
    readers = "\n".join(p.read_text("utf-8") for p in SOURCE.glob("*.py"))
    unused = [f"{m}.{n}" for m, n, _ in _lists() if not re.search(rf"\b{m}\.{n}\b", readers)]
    assert unused == []


def test_phrases_splits_on_spaced_bars_only():
    assert phrases("stryk (?:mig|oss) | avanmäl\n  återbud ") == ("stryk (?:mig|oss)", "avanmäl", "återbud")
    assert words(" vegan  halal\nkosher") == ("vegan", "halal", "kosher")


def test_a_phrase_cut_inside_a_group_is_refused():
    with pytest.raises(ValueError, match="unbalanced"):
        words("sign[- ]?up")


def test_either_keeps_order_and_refuses_nothing():
    assert either(("a", "b"), ("c",)) == "(?:a|b|c)"
    with pytest.raises(ValueError):
        either(())
