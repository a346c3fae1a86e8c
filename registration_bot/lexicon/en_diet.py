r"""English: what people write about food, one list per concept (diet.py).

Same names as :mod:`.sv_diet`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- Diet (diet.py) ------------------------------------------------------------------------------

# Words per diet category: "vegetarian", "gluten-free", "allergic to nuts".
DIET_WORDS = {
    "vegan": phrases(r"\bvegan | plant[- ]based"),
    "vegetarian": phrases(
        r"vegetari | \bveggie | \bveg\b | \bno meat\b | meat[- ]free | (?:don't|do not|doesn't|does not) eat meat"
    ),
    "gluten_free": words("gluten celiac coeliac"),
    "lactose_free": phrases("lactose | dairy[- ]free | no dairy"),
    "nut_allergy": phrases(r"nut allerg | \bnuts\b | peanut | tree nut | allergic to nuts"),
    "halal": words(r"\bhalal"),
    "kosher": words(r"\bkosher"),
    "pescetarian": words("pesc[ae]tari"),
}
# Foods people avoid, each "other": "I don't eat mushrooms", "no shellfish".
FOODS = words(r"""
    pork mushrooms? onions? tomato\w* shellfish fish eggs? soy sesam\w* celery citrus strawberr\w* kiwi alcohol
    mustard lupin shrimps? paprika coriander sugar beef lamb chicken
""")
AVOID = phrases(r"""
    don't eat | do not eat | cannot eat | can't eat | can't tolerate | cannot tolerate | \bno\b | \bwithout\b | avoid
    none of us eats? | doesn't eat
""")
# An allergy or intolerance with no category of its own: "FODMAP", "allergic to ...".
ALLERGY_WORDS = words("allergic allergy allergies intoleran fodmap diabet")
# No special diet: "No dietary requirements", "I eat anything".
NO_DIET = phrases(r"""
    no (?:special )?diet | no dietary | no food (?:requirements|preferences) | no allergies | nothing special
    eat (?:anything|everything) | no (?:food )?preferences | no restrictions | no requirements | not picky
    (?:neither|none) of us (?:has|have) (?:any )?(?:allergies|dietary|special)
""")
# Labels of a diet line, and the answers that mean none: "Dietary requirements: none".
DIET_LABELS = phrases("dietary(?: requirements| needs| restrictions)? | diet | food | allergies")
NO_DIET_ANSWERS = phrases("none | no | n/a | na | nope | nothing | no thanks")
# "No longer vegan", "vegetarian instead of vegan": the diet named after it is not the writer's.
NO_LONGER = phrases("no longer | instead of | not")
# "I'm not lactose intolerant": being, not eating ("don't eat gluten" is a need), takes a diet back.
# A fallback, not a need: "kosher, or a vegan option would work too".
ALSO_FINE = phrases(r"would (?:also )?work | works too | is fine too | also fine | would be fine too")
DIET_NEGATIONS = phrases(
    r"i'm not | am not | is not | isn't | are not | aren't | i'm no longer | am no longer | (?<=, )not | ^not"
)
# A change of diet names the old one first: "change pescetarian to vegetarian".
CHANGE_DIET = phrases(r"chang\w* | switch\w* | updat\w*")
DIET_TO = words("to")
# "I eat everything except mushrooms": a food avoided, not "no special diet".
EXCEPT_ALL = phrases(r"(?:eat |fine with )?(?:everything|anything) (?:except|apart from|but) ")
# "Not an allergy, just a preference": nothing the kitchen must plan for.
NOT_NEEDED = phrases("not an allergy | just a preference | no need to plan")
# A named allergy, cut out before looking for other foods: "allergic to peanuts", "lactose intolerant".
ALLERGY_PREFIXES = phrases("allergic to | intolerant to")
ALLERGENS = words("gluten celiac coeliac lactose dairy nut peanut")
ALLERGY_SUFFIXES = words("intolerant intolerance allergy free")
# "No allergies": the words that deny an allergy.
NONE_WORDS = phrases("no | none | not any")
# "Fish is fine but no meat": a pescetarian, unless the fish is refused.
FISH = words("fish")
MEATLESS = words("meat")
# Meat said to be left out: with fish allowed, a pescetarian ("fish is fine, but no meat").
NO_MEAT = phrases(r"(?:no|not|don't eat|without) (?:\w+ )?meat | meat[- ]free | vegetarian")
NOT_FISH = phrases(
    r"allergic | no fish | not fish | no longer (?:\w+ )?fish | (?:stopped|quit) eating fish | don't eat fish"
)
# The writer, in a clause that names a guest: "Per and I are vegetarian".
ME = words("i me we")
