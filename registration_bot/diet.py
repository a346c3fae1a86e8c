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
    "vegan": re.compile(r"\bvegan|växtbaserad|plant[- ]based"),
    "vegetarian": re.compile(
        r"vegetari|\bvego\b|\bveggie|lakto[- ]?ovo|ovo[- ]?lakto|\bveg\b|"
        r"(?:äter|eat) (?:inte|inget|no|not|don't eat|ej) kött|\bno meat\b|köttfri|meat[- ]free"
    ),
    "gluten_free": re.compile(r"gluten|celiaki|celiac|coeliac"),
    "lactose_free": re.compile(r"laktos|lactose|mjölkfri|dairy[- ]free|no dairy|mjölkprotein|utan mjölk|mjölkallergi"),
    "nut_allergy": re.compile(
        r"nötter|nötallergi|nut allerg|\bnuts\b|peanut|jordnöt|tree nut|hasselnöt|mandel|"
        r"allergic to nuts|allergisk mot nöt"
    ),
    "halal": re.compile(r"\bhalal"),
    "kosher": re.compile(r"\bkosher|\bkoscher"),
    "pescetarian": re.compile(r"pesc[ae]tari"),
}
_FOODS = (
    r"fläsk\w*|griskött|pork|svamp\w*|mushrooms?|lök|onions?|tomat\w*|tomato\w*|skaldjur|shellfish|fisk|fish|"
    r"ägg|eggs?|soja|soy|sesam\w*|selleri|celery|citrus|jordgubb\w*|strawberr\w*|kiwi|alkohol|alcohol|senap|"
    r"mustard|lupin|räkor|shrimps?|paprika|koriander|coriander|socker|sugar|nötkött|beef|lamm|lamb|kyckling|chicken"
)
_OTHER = re.compile(
    r"allergi|allergisk|allergic|allergy|allergies|intoleran|överkänslig|fodmap|diabet|"
    r"(?:äter inte|inte äta|don't eat|do not eat|cannot eat|can't eat|kan inte äta|tål inte|tål ej|"
    r"can't tolerate|cannot tolerate|kan inte tåla|reagerar på|\bno\b|\butan\b|\bwithout\b|"
    r"undviker|avoid|inget|ingen|inga) (?:\w+ ){0,2}?(?:" + _FOODS + r")\b"
)
_NONE = re.compile(
    r"ingen specialkost|inga specialkost|ingen särskild kost|inga (?:särskilda )?(?:kost|mat)(?:önskemål|krav|preferenser)|"
    r"äter allt|(?:har )?inga allergier|ingen allergi|(?:ingen|none) (?:av oss|of us) (?:har|has|have) (?:några |any )?(?:allergier|allergies|specialkost|dietary)|"
    r"no (?:special )?diet|no dietary|no food (?:requirements|preferences)|no allergies|nothing special|"
    r"eat (?:anything|everything)|inga (?:mat|kost)?önskemål|ingen specialmat|inga specialkostönskemål|"
    r"inga matpreferenser|no (?:food )?preferences|no restrictions|no requirements|not picky|allätare"
)
_LABEL = re.compile(
    r"^\s*(?:specialkost|kost|allergier|matpreferens(?:er)?|dietary(?: requirements| needs| restrictions)?|diet|"
    r"food|allergies|mat)\s*:\s*(.*)$",
    re.I | re.M,
)
_LABEL_NONE = re.compile(r"^(?:nej|ingen|inga|none|no|n/a|na|-|–|nope|nothing|inget|nej tack|no thanks|0)\.?$")
_NO_LONGER = re.compile(
    r"(?:inte längre|no longer|i stället för|istället för|instead of|inte|not) (?:\w+ ){0,1}?(vegan\w*|vegetari\w*)"
)
_NOT_NEEDED = re.compile(
    r"not an allergy|inte (?:en )?allergi|just a preference|bara (?:en )?preferens|no need to plan|"
    r"behöver inte (?:ta hänsyn|planera)|inget ni behöver"
)
_CLAUSE = re.compile(r"(?<=[.!?;\n])\s*|,\s+|\s+(?:men|but|medan|while|och|and)\s+")


_SPECIFIC = re.compile(
    r"(?:allergisk mot |allergic to |intolerant (?:to|mot) )?\w*(?:gluten|celiaki|celiac|coeliac|laktos|lactose|"
    r"mjölk|dairy|nöt|nut|peanut|mandel)\w*(?:[ -](?:intolerant|intolerance|allergy|allergi|allergisk|free|fri))?"
)
_FISH = re.compile(r"\b(?:fisk|fish)\b")
_MEATLESS = re.compile(r"vegetari|kött|meat")
_NOT_FISH = re.compile(r"allergi|allergic|no fish|ingen fisk|inte fisk|utan fisk|not fish")


def _categories(clause: str) -> set[str]:
    found = {name for name, pattern in DIETS.items() if pattern.search(clause)}
    for match in _NO_LONGER.finditer(clause):
        found.discard("vegan" if match.group(1).startswith("vegan") else "vegetarian")
    leftover = _SPECIFIC.sub("", clause)
    if found & {"nut_allergy", "gluten_free", "lactose_free"} and not re.search(r"\b(?:" + _FOODS + r")\b", leftover):
        leftover = ""  # "Allergies: peanuts and tree nuts." names its allergy already
    if _OTHER.search(leftover) and not re.search(
        r"\b(?:ingen|inga|no|none|inte några|not any)\b[^.]*allergi", leftover
    ):
        if not (_FISH.search(leftover) and not _NOT_FISH.search(leftover)):
            found.add("other")
    if "vegan" in found:
        found.discard("vegetarian")
    return found


def _pescetarian(sentence: str, found: set[str]) -> set[str]:
    """ "Vegetarian men äter fisk", "fish is fine, but no meat": a pescetarian."""
    if _MEATLESS.search(sentence) and _FISH.search(sentence) and not _NOT_FISH.search(sentence):
        return (found - {"vegetarian", "other"}) | {"pescetarian"}
    return found


def diet(text: str, guests: tuple[Guest, ...] = ()) -> tuple[Found[tuple[str, ...]], str]:
    """Normalised categories for the writer's row and the writer's own words about food."""
    label = _LABEL.search(text)
    if label and _LABEL_NONE.match(fold(label.group(1)).strip()):
        return Found(value=(), confidence=0.95, source="diet line says none"), one_line(label.group(0), 200)
    others = {fold(g.name.split()[0]) for g in guests if g.name}
    addresses = {g.email for g in guests}
    found: set[str] = set()
    said_none = False
    words: list[str] = []
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
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
            subject = folded.split()[0] if folded.split() else ""
            if subject in others and not re.search(r"\b(?:jag|i|me|mig|vi|we)\b", folded):
                continue  # about a guest who has a row of their own
            if _NONE.search(folded):
                said_none = True
                words.append(sentence.strip())
                continue
            cats = _categories(folded)
            if cats:
                in_sentence |= cats
                words.append(sentence.strip())
        found |= _pescetarian(fold(sentence), in_sentence) if in_sentence else set()
    text_words = one_line(" ".join(dict.fromkeys(words)), 200)
    if found:
        return Found(value=tuple(sorted(found)), confidence=0.9, source="diet words"), text_words
    if said_none:
        return Found(value=(), confidence=0.9, source="says no special diet"), text_words
    return Found(value=(), confidence=0.9, source="no diet mentioned"), ""
