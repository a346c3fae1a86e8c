"""The three helpers the word lists are written with, and the one the readers join them with."""

from __future__ import annotations

from collections.abc import Iterable

SEPARATOR = " | "


def _checked(items: tuple[str, ...]) -> tuple[str, ...]:
    """Refuse a phrase cut in the middle of a group, such as ``sign[-`` from ``words("sign[- ]?up")``."""
    for item in items:
        if item.count("(") != item.count(")") or item.count("[") != item.count("]"):
            raise ValueError(f"unbalanced brackets in the phrase {item!r}")
    return items


def phrases(block: str) -> tuple[str, ...]:
    """The phrases of a block: one a line, or several on a line separated by ``" | "``.

    Space around a phrase is not part of it; a ``|`` without spaces on both
    sides belongs to the phrase, as in ``stryk (?:mig|oss)``.
    """
    return _checked(tuple(p.strip() for line in block.splitlines() for p in line.split(SEPARATOR) if p.strip()))


def words(block: str) -> tuple[str, ...]:
    """The words of a block, separated by any white space (for lists of single words)."""
    return _checked(tuple(block.split()))


def either(*lists: Iterable[str]) -> str:
    """A non-capturing group of every phrase of ``lists``, tried in the order given.

    The order matters only where two phrases can match at the same place: the
    earlier one is reported (``"kollegor"`` before ``"kollegorna"`` reads
    "kollegor" out of "kollegorna" where nothing follows). Lists are joined as
    given, so pass the Swedish list before the English one.
    """
    joined = [p for phrase_list in lists for p in phrase_list]
    if not joined:
        raise ValueError("either() needs at least one phrase")
    return "(?:" + "|".join(joined) + ")"
