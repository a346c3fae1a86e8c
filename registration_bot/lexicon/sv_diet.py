r"""Swedish: what people write about food, one list per concept (diet.py).

Same names as :mod:`.en_diet`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- Diet (diet.py) ------------------------------------------------------------------------------

# Words per diet category: "vegetarian", "glutenfri", "allergisk mot nötter".
DIET_WORDS = {
    "vegan": phrases(r"\bvegan | växtbaserad"),
    "vegetarian": phrases(r"""
        vegetari | \bvego\b | lakto[- ]?ovo | ovo[- ]?lakto | (?:äter|käkar|eat) (?:inte|inget|no|not|don't eat|ej) kött | köttfri
    """),
    "gluten_free": words("gluten celiaki"),
    "lactose_free": phrases("laktos | mjölkfri | mjölkprotein | utan mjölk | mjölkallergi"),
    "nut_allergy": phrases("nötter | nötallergi | jordnöt | hasselnöt | mandel | allergisk mot nöt"),
    "halal": words(r"\bhalal"),
    "kosher": words(r"\bkosher \bkoscher"),
    "pescetarian": words("pesc[ae]tari"),
}
# Foods people avoid, each "other": "jag äter inte svamp", "tål inte selleri".
FOODS = words(r"""
    fläsk\w* griskött svamp\w* lök tomat\w* skaldjur fisk ägg soja sesam\w* selleri citrus jordgubb\w* kiwi alkohol
    senap lupin räkor paprika koriander socker nötkött lamm kyckling
""")
AVOID = phrases(r"""
    äter inte | inte äta | kan inte äta | tål inte | tål ej | kan inte tåla | reagerar på | \butan\b | undviker
    ingen av oss äter | käkar inte
    inget | ingen | inga
""")
# An allergy or intolerance with no category of its own: "överkänslig mot ...".
ALLERGY_WORDS = words("allergi allergisk intoleran överkänslig diabet")
# No special diet: "Ingen specialkost", "Jag äter allt".
NO_DIET = phrases(r"""
    ingen specialkost | inga specialkost | ingen särskild kost | inga (?:särskilda )?(?:kost|mat)(?:önskemål|krav|preferenser)
    äter allt | (?:har )?inga allergier | ingen allergi
    (?:ingen|none) (?:av oss|of us) (?:har|has|have) (?:några |any )?(?:allergier|allergies|specialkost|dietary)
    inga (?:mat|kost)?önskemål | ingen specialmat | inga specialkostönskemål | inga matpreferenser | allätare
""")
# Labels of a diet line, and the answers that mean none: "Specialkost: nej".
DIET_LABELS = phrases("specialkost | kost | allergier | matpreferens(?:er)? | mat")
NO_DIET_ANSWERS = phrases("nej | ingen | inga | inget | nej tack")
# "Inte längre vegan", "vegetarisk istället för vegan": the diet named after it is not the writer's.
NO_LONGER = phrases("inte längre | i stället för | istället för | inte")
# "Jag är inte laktosintolerant": being, not eating ("äter inte gluten" is a need), takes a diet back.
# A fallback, not a need: "halal, men vegetariskt funkar också".
ALSO_FINE = phrases(r"funkar också | fungerar också | går också bra | duger också | går bra också")
DIET_NEGATIONS = phrases(r"är inte | är ej | är inte längre | (?<=, )inte | ^inte")
# A change of diet names the old one first: "ändra från vegetarisk till vegan".
CHANGE_DIET = phrases(r"ändra\w* | byt\w*")
DIET_TO = words("till")
# "Äter allt utom svamp": a food avoided, not "no special diet".
EXCEPT_ALL = phrases(r"(?:äter |går bra med )?allt (?:utom|förutom|men inte) ")
# "Det är ingen allergi, bara en preferens": nothing the kitchen must plan for.
NOT_NEEDED = phrases(
    "inte (?:en )?allergi | bara (?:en )?preferens | behöver inte (?:ta hänsyn|planera) | inget ni behöver"
)
# A named allergy, cut out before looking for other foods: "allergisk mot nötter", "laktosintolerant".
ALLERGY_PREFIXES = phrases("allergisk mot | intolerant mot")
ALLERGENS = words("gluten celiaki laktos mjölk nöt mandel")
ALLERGY_SUFFIXES = words("allergi allergisk fri")
# "Ingen allergi": none of the words that deny an allergy.
NONE_WORDS = phrases("ingen | inga | inte några")
# "Vegetarian men äter fisk": a pescetarian, unless the fish is refused.
FISH = words("fisk")
MEATLESS = words("vegetari kött")
# Meat said to be left out: with fish allowed, a pescetarian ("Äter fisk men inte kött").
NO_MEAT = phrases(r"(?:inte|ej|inget|ingen|utan) (?:\w+ )?kött | köttfri | vegetari")
NOT_FISH = phrases(
    r"allergi | ingen fisk | inte fisk | utan fisk | inte längre (?:\w+ )?fisk | slutat (?:\w+ )?(?:äta )?fisk"
)
# The writer, in a clause that names a guest: "Per och jag äter vegetariskt".
ME = words("jag mig vi")
