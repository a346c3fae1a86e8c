"""Dietary needs in the writer's own words, and their normalised categories.

People write "jag är vegan", "glutenfri tack", "allergisk mot nötter", "fish
is fine but no meat" or "Specialkost: nej". Each clause is judged on its own,
so "Jag är vegan, Per äter allt" keeps the writer's "vegan", and a clause
about someone who gets a row of their own (a guest with their own address)
does not colour the writer's row. The person's words are kept beside the
category, because "other" means the organiser must read them.
"""

from __future__ import annotations

import re

from .lexicon import either, en, en_diet, sv, sv_diet
from .models import Found, Guest
from .textutil import fold, one_line

CATEGORIES = (
    "vegetarian",
    "vegan",
    "gluten_free",
    "lactose_free",
    "nut_allergy",
    "halal",
    "kosher",
    "pescetarian",
    "other",
)
DIETS: dict[str, re.Pattern[str]] = {
    category: re.compile(either(sv_diet.DIET_WORDS[category], en_diet.DIET_WORDS[category]))
    for category in sv_diet.DIET_WORDS
}
_FOODS = either(sv_diet.FOODS, en_diet.FOODS)
_FOOD = re.compile(rf"\b{_FOODS}\b")
# An allergy of no category of its own, or a food avoided: "tål inte selleri", "no mushrooms".
_OTHER = re.compile(
    rf"{either(sv_diet.ALLERGY_WORDS, en_diet.ALLERGY_WORDS)}|{either(sv_diet.AVOID, en_diet.AVOID)} (?:\w+ ){{0,2}}?{_FOODS}\b"
)
_NONE = re.compile(either(sv_diet.NO_DIET, en_diet.NO_DIET))
_LABEL = re.compile(rf"^\s*{either(sv_diet.DIET_LABELS, en_diet.DIET_LABELS)}\s*:\s*(.*)$", re.I | re.M)
_LABEL_NONE = re.compile(rf"^{either(sv_diet.NO_DIET_ANSWERS, en_diet.NO_DIET_ANSWERS, ('-', '–', '0'))}\.?$")
_NO_LONGER = re.compile(rf"{either(sv_diet.NO_LONGER, en_diet.NO_LONGER)} (?:\w+ ){{0,1}}?(vegan\w*|vegetari\w*)")
_NOT_NEEDED = re.compile(either(sv_diet.NOT_NEEDED, en_diet.NOT_NEEDED))
_NEGATED = re.compile(rf"\b{either(sv_diet.DIET_NEGATIONS, en_diet.DIET_NEGATIONS)}\s+(?:\w+\s+)?$")
# "change pescetarian to vegetarian": the diet before "to" is the old one.
_CHANGE_DIET = re.compile(
    rf"\b{either(sv_diet.CHANGE_DIET, en_diet.CHANGE_DIET)} (?P<old>(?:\S+ ){{1,4}}?){either(sv_diet.DIET_TO, en_diet.DIET_TO)} (?P<new>.+)"
)
_EXCEPT_ALL = re.compile(either(sv_diet.EXCEPT_ALL, en_diet.EXCEPT_ALL))
_CLAUSE = re.compile(rf"(?<=[.!?;\n])\s*|,\s+|\s+{either(sv.CLAUSE_JOINERS, sv.WHILE, en.CLAUSE_JOINERS, en.WHILE)}\s+")
# A named allergy, cut out before looking for other foods ("laktosintolerant", "allergic to peanuts").
_SPECIFIC = re.compile(
    rf"(?:{either(sv_diet.ALLERGY_PREFIXES, en_diet.ALLERGY_PREFIXES)} )?\w*{either(sv_diet.ALLERGENS, en_diet.ALLERGENS)}\w*"
    rf"(?:[ -]{either(sv_diet.ALLERGY_SUFFIXES, en_diet.ALLERGY_SUFFIXES)})?"
)
# "Inga allergier", "no known allergies"; not "inga räkor tack (skaldjursallergi)".
_NO_ALLERGY = re.compile(rf"\b{either(sv_diet.NONE_WORDS, en_diet.NONE_WORDS)}\b (?:\w+ ){{0,2}}?allergi")
_FISH = re.compile(rf"\b{either(sv_diet.FISH, en_diet.FISH)}\b")
_MEATLESS = re.compile(either(sv_diet.MEATLESS, en_diet.MEATLESS))
_ALSO_FINE = re.compile(either(sv_diet.ALSO_FINE, en_diet.ALSO_FINE))
_NO_MEAT = re.compile(either(sv_diet.NO_MEAT, en_diet.NO_MEAT))
_NOT_FISH = re.compile(either(sv_diet.NOT_FISH, en_diet.NOT_FISH))
_ME = re.compile(rf"\b{either(sv_diet.ME, en_diet.ME)}\b")
_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def _categories(clause: str) -> set[str]:
    # "I'm not lactose intolerant, it's gluten": a need said not to be one does not count.
    found = {
        name
        for name, pattern in DIETS.items()
        if any(not _NEGATED.search(clause, max(0, m.start() - 30), m.start()) for m in pattern.finditer(clause))
    }
    for match in _NO_LONGER.finditer(clause):
        found.discard("vegan" if match.group(1).startswith("vegan") else "vegetarian")
    if (change := _CHANGE_DIET.search(clause)) and {n for n, p in DIETS.items() if p.search(change.group("new"))}:
        found -= {name for name, pattern in DIETS.items() if pattern.search(change.group("old"))}
    leftover = _SPECIFIC.sub("", clause)
    if found & {"nut_allergy", "gluten_free", "lactose_free"} and not _FOOD.search(leftover):
        leftover = ""  # "Allergies: peanuts and tree nuts." names its allergy already
    if _OTHER.search(leftover) and not _NO_ALLERGY.search(leftover):
        if not (_FISH.search(leftover) and not _NOT_FISH.search(leftover)):
            found.add("other")
    if "vegan" in found:
        found.discard("vegetarian")
    return found


def _pescetarian(sentence: str, found: set[str]) -> set[str]:
    """ "Vegetarian men äter fisk", "fish is fine, but no meat": a pescetarian."""
    if _NO_MEAT.search(sentence) and _FISH.search(sentence) and not _NOT_FISH.search(sentence):
        return (found - {"vegetarian", "other"}) | {"pescetarian"}
    return found


def label_lines(signature: str) -> str:
    """ "Kost: vegetarisk" written under the name ends up in the signature block; it is still the writer's diet."""
    return "\n".join(line for line in signature.split("\n") if _LABEL.match(line))


def diet(text: str, guests: tuple[Guest, ...] = (), subject: str = "") -> tuple[Found[tuple[str, ...]], str]:
    """Normalised categories for the writer's row and the writer's own words about food.

    ``subject``, when it is the writer's own (not a reply's), counts only if
    the text says nothing about food: "Anmälan: Petra Nyström, Boverket, vegetarian".
    """
    text = text.replace("’", "'").replace("´", "'")
    label = _LABEL.search(text)
    if label and _LABEL_NONE.match(fold(label.group(1)).strip()):
        return Found(value=(), confidence=0.95, source="diet line says none"), one_line(label.group(0), 200)
    others = {fold(g.name.split()[0]) for g in guests if g.name}
    addresses = {g.email for g in guests}
    found: set[str] = set()
    fallbacks: set[str] = set()
    said_none = False
    words: list[str] = []
    for sentence in _SENTENCE.split(text):
        if any(a in sentence.lower() for a in addresses):
            continue  # "- Mikael Dahl, mikael.dahl@x.se – vegetarian": the guest's own row
        if _NOT_NEEDED.search(fold(sentence)):
            said_none = said_none or bool(_NONE.search(fold(sentence)))
            continue  # "not an allergy, so no need to plan for it"
        in_sentence: set[str] = set()
        for clause in _CLAUSE.split(sentence):
            folded = fold(clause)
            if not folded:
                continue
            first_word = folded.split()[0] if folded.split() else ""
            if first_word in others and not _ME.search(folded):
                continue  # about a guest who has a row of their own
            if except_all := _EXCEPT_ALL.search(folded):
                # "Äter allt utom svamp och oliver": what is left out is the need.
                in_sentence |= _categories(folded[except_all.end() :]) or {"other"}
                words.append(sentence.strip())
                continue
            if _NONE.search(folded):
                said_none = True
                words.append(sentence.strip())
                continue
            cats = _categories(folded)
            if cats and _ALSO_FINE.search(folded):
                fallbacks |= cats  # counted only if nothing else is said
                continue
            if cats:
                in_sentence |= cats
                words.append(sentence.strip())
        if in_sentence & {"vegetarian", "vegan"} and "other" in in_sentence:
            foods = {m.group() for m in _FOOD.finditer(fold(sentence))}
            if all(_FISH.search(food) or _MEATLESS.search(food) for food in foods):
                in_sentence.discard("other")  # "I no longer eat fish, so vegetarian": implied by the diet
        found |= _pescetarian(fold(sentence), in_sentence)
    found = found or fallbacks
    text_words = one_line(" ".join(dict.fromkeys(words)), 200)
    if not found and not said_none and subject and (in_subject := _categories(fold(subject))):
        return Found(value=tuple(sorted(in_subject)), confidence=0.85, source="diet words in the subject"), subject
    if found:
        return Found(value=tuple(sorted(found)), confidence=0.9, source="diet words"), text_words
    if said_none:
        return Found(value=(), confidence=0.9, source="says no special diet"), text_words
    return Found(value=(), confidence=0.9, source="no diet mentioned"), ""
