r"""Every phrase and word the reader looks for, per language and per concept, in one place.

The readers (:mod:`~registration_bot.intent`, :mod:`~registration_bot.diet`,
:mod:`~registration_bot.details`, :mod:`~registration_bot.people`,
:mod:`~registration_bot.organisations`, :mod:`~registration_bot.signature`,
:mod:`~registration_bot.quotes`, :mod:`~registration_bot.language` and
:mod:`~registration_bot.robots`) build their regular expressions from these
lists once, at import, and keep only the structure in their own code: the
syntax of addresses, dates in attribution lines, header lines and the order of
words in a phrase ("who, will, also, verb").

* :mod:`.sv` and :mod:`.en`: what people write to the registration address:
  sign-ups, cancellations, changes, hedges, privacy requests, seats and
  guests, names and organisations, and the words that tell the languages apart.
* :mod:`.sv_diet` and :mod:`.en_diet`: what they write about food.
* :mod:`.sv_privacy` and :mod:`.en_privacy`: what they write about their own data.
* :mod:`.sv_mail` and :mod:`.en_mail`: what surrounds it: signatures (titles,
  departments, organisation words, contact lines), quote and forward markers,
  closings, greetings, phone footers, and the subjects of auto-replies, bounces
  and ticket systems.

Both languages use the same names (``sv.CANCEL``, ``en.CANCEL``); a list may be
empty where a language has no such words. Mail clients' words in other
languages (German header names, French auto-reply subjects) stay beside the
rule that uses them, as "other languages".

Adding a phrase
---------------
1. Find the concept: each list has a comment with what it is for and an
   example. Add the phrase to the list of its language. A list written with
   ``phrases()`` takes one phrase a line, or several separated by ``" | "``;
   one written with ``words()`` takes single words separated by spaces.
2. Write it in lower case, as the text is folded before matching (or matched
   ignoring case), unless the comment says the list is matched as written:
   ``NOT_ORG_STARTS``, ``GUEST_LEAD_WORDS``, ``ORG_NAME_WORDS``, ``MYSELF``.
3. A phrase is a small regular-expression fragment: ``\b`` marks a word's
   edge (``\bveg\b`` is not "vegetable"), ``(?:mig|oss)`` gives alternatives
   inside a phrase, ``\w*`` lets a word go on (``fläsk\w*``), and ``.``, ``+``
   and ``?`` need a backslash when they are meant literally. Never use a
   capturing group ``( )``: the rules number their own groups.
4. Where two phrases can match at the same place, the earlier one is the one
   reported: put "kollegor" before "kollegorna" only if that is wanted.
5. Run ``.venv/bin/python -m pytest -q tests/test_understanding.py``: a change
   must keep it green. ``.venv/bin/python tests/understanding_eval.py`` shows
   the per-field report and every miss; a new phrase deserves a labelled
   message in ``tests/data/messages`` that needs it.
"""

from __future__ import annotations

from . import en, en_diet, en_mail, en_privacy, sv, sv_diet, sv_mail, sv_privacy
from .build import either, phrases, words

__all__ = [
    "en",
    "en_diet",
    "en_mail",
    "en_privacy",
    "either",
    "phrases",
    "sv",
    "sv_diet",
    "sv_mail",
    "sv_privacy",
    "words",
]
