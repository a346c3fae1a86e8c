r"""Swedish: requests about the writer's own data, and answers to our erasure question (intent.py).

Same names as :mod:`.en_privacy`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- Privacy requests (intent.py) ----------------------------------------------------------------

# What people call their data: "mina uppgifter", "personuppgifterna", "min data".
_DATA = r"(?:person|kontakt)?(?:uppgifter|uppgifterna|data|datan|information|informationen)"
# Erasure (GDPR art. 17): "Radera mina uppgifter", "Glöm mig".
ERASE = phrases(rf"""
    \b(?:radera|raderar|ta bort|tar bort|rensa|rensar|makulera|makulerar|gallra|gallrar) (?:alla |all |samtliga )?(?:(?:mina|min|mitt) (?:\w+ )?{_DATA}|{_DATA} (?:\w+ ){{0,4}}?om mig)\b
    \bradera mig\b | \bglöm (?:bort )?mig\b | rätten att bli (?:bort)?glömd | \b(?:begär|begäran om) radering
""")
# Access (GDPR art. 15): "Vilka uppgifter har ni om mig?", "Skicka mina uppgifter".
ACCESS = phrases(rf"""
    registerutdrag | \butdrag (?:ur|av|från) (?:registret|mina)
    \b(?:vilka|vad för|vilken) (?:\w+ ){{0,2}}?(?:person)?(?:uppgifter|data|information) (?:\w+ ){{0,4}}?(?:om mig|(?:sparat|lagrat|registrerat|sparar|lagrar) (?:\w+ ){{0,2}}?om mig)
    \bvad (?:har ni|ni har|finns det) (?:\w+ ){{0,2}}?(?:sparat|lagrat|registrerat|för uppgifter)? ?om mig
    \b(?:skicka|visa|ge|lämna ut|begär|begära|se|få ut|ta del av|vill ha|vill veta) (?:mig )?(?:\w+ ){{0,2}}?(?:mina (?:\w+ )?{_DATA}|{_DATA} (?:ni har )?om mig|min data)\b
""")
# A whole message that only names the data: "Mina uppgifter tack".
BARE_ACCESS = phrases("mina (?:person)?uppgifter | registerutdrag")
PLEASE = words("tack")
# Negations before a request: "Ni behöver inte radera mina uppgifter".
NEGATIONS = words("inte ej icke aldrig")
# Our own notice quoted back: 'Svara "radera mina uppgifter" för att ...'.
REPLY_VERBS = words("svara skriv")
# A polite question is still a request: "Hej, kan ni radera mina uppgifter?".
POLITE_OPENERS = words("hej snälla")
POLITE_ASKS = words("kan skulle vill")
# Answers to our "shall we erase?" question: "Ja", "Radera inte", "Jag har ändrat mig".
CONFIRM_YES = phrases("ja | japp | jajamän | okej | bekräftar | jag bekräftar | radera")
CONFIRM_NO = words("nej")
ERASE_VERBS = phrases("radera | ta bort")
NOT = words("inte ej")
CHANGED_MIND = phrases(r"\bångra\w* | \bavbryt | ändrat mig")
