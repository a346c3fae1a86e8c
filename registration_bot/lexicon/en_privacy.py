r"""English: requests about the writer's own data, and answers to our erasure question (intent.py).

Same names as :mod:`.sv_privacy`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- Privacy requests (intent.py) ----------------------------------------------------------------

# Erasure (GDPR art. 17): "Please delete my data", "Forget me".
ERASE = phrases(r"""
    \b(?:delete|erase|remove|purge|wipe) (?:all )?(?:of )?my (?:\w+ )?(?:data|information|info|records?)\b
    \b(?:delete|erase) (?:all )?(?:of )?my (?:personal )?details\b
    \b(?:delete|erase|remove|purge|wipe) (?:all )?(?:the |any )?(?:personal )?(?:data|information|info|details|records?) (?:\w+ ){0,4}?(?:about|on|of|regarding) me\b
    \bforget me\b | right to (?:be forgotten|erasure) | \bdelete me from\b | \berasure request\b
""")
# Access (GDPR art. 15): "What data do you have about me?", "Send me a copy of my data".
ACCESS = phrases(r"""
    \bwhat (?:personal )?(?:data|information|info|details|records) (?:\w+ ){0,4}?(?:about me|on me|on file)
    \bwhat (?:personal )?data (?:do|did) you (?:have|hold|store|keep)
    \b(?:send|give|show|see|access|obtain|get|export|copy of|want|like to see|like to know|like to have) (?:me )?(?:a copy of )?(?:all )?(?:my (?:personal )?(?:data|information|records)|(?:the )?(?:personal )?(?:data|information|details|records) (?:\w+ ){0,3}?(?:about|on) me)\b
    subject access request | right of access | \bdsar\b | artic(?:le|el) 15\b
""")
# A whole message that only names the data: "My data please", "GDPR".
BARE_ACCESS = phrases("my (?:personal )?data | gdpr")
PLEASE = words("please")
# Negations before a request: "You don't need to delete my data".
NEGATIONS = phrases("not | don't | do not | never | no need to")
# Our own notice quoted back: 'Reply "delete my data" to ...'.
REPLY_VERBS = words("reply write answer")
# A polite question is still a request: "Hi, could you delete my data?".
POLITE_OPENERS = words("hi hello please")
POLITE_ASKS = phrases("could | can | would | will you please | please")
# Answers to our "shall we erase?" question: "Yes", "Don't delete", "I changed my mind".
CONFIRM_YES = phrases("ok | yes | yep | confirm(?:ed)? | i confirm | delete | erase")
CONFIRM_NO = words("no nope")
ERASE_VERBS = words("delete erase remove")
NOT = phrases("don't | do not | not")
CHANGED_MIND = phrases(r"\bcancel (?:the|my|this) (?:request|deletion|erasure) | changed my mind")
