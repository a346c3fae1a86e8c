r"""English: what people write to the registration address, one list per concept.

Same names as :mod:`.sv`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- What the writer wants (intent.py) -----------------------------------------------------------

# Sign-ups in the writer's own words: "Count me in", "I'd love to attend", "We'll be three".
SIGNUP = phrases(r"""
    sign (?:me|us) up | sign up | signing up | count (?:me|us) in | register (?:me|us|myself)
    i(?:'d| would) (?:like|love) to (?:attend|join|come|register|participate|sign up|be there)
    i(?:'ll| will) (?:attend|be there|come|join) | we(?:'ll| will) (?:attend|be there|come|join)
    (?:i'm|i am|we're|we are) (?:in\b|coming|attending|interested in attending)
    (?:i|we) (?:would )?(?:like|want|wish|love) to (?:attend|join|register|participate|come) | please register
    save (?:me|us) a (?:seat|spot) | reserve (?:a|me a) (?:seat|spot) | (?:book|put) me (?:in|down)
    \brsvp yes\b | \bi accept\b | happy to (?:attend|join|come) | (?:i|we)'d love to come
    would (?:like|love) to (?:attend|join|come|register|participate)
    \bme (?:plus|\+) (?:one|1|en|ett)\b | \bwe(?:'ll| will) be (?:\d{1,2}|two|three|four|five)\b
    (?:happy|glad|delighted|pleased) to (?:be (?:with|there|part)|take part|participate)
    \bwe'?d (?:like|love) to (?:attend|join|come|register|participate|be there)
    \b(?:save|reserve|book|hold) (?:us |me )?(?:a |an )?(?:\w+ )?(?:table|seats?|spots?|places?|tickets?) for\b
    \b(?:reserve|book) (?:\w+ )?(?:seats?|spots?|places?|tickets?)\b | \b(?:me|i) (?:plus|\+) ?(?:\d|one|two|three)\b
    \bi(?:'d| would)? like to sign up\b | \bid like to (?:sign up|register|attend|join|come)\b
""")
# Cancellations: "I can't make it", "Please remove me", "Something has come up".
CANCEL = phrases(r"""
    \bcancel | unregister | deregister | withdraw | remove (?:me|my (?:name|registration|sign[- ]?up)) | take me off
    (?:can'?t|cannot|can not|won'?t be able to|will not be able to|unable to|not able to|no longer able to) (?:make it|attend|come|join|participate|be there|go)
    (?:won'?t|will not) (?:be (?:attending|coming|joining|able)|make it|attend) | no longer (?:attend|come|join|coming|attending)
    (?:have|need) to (?:drop out|pull out|back out) | drop (?:out|me) | count me out | something (?:has )?come up
    \bnone of us (?:can|will be able to|is able to) (?:come|make it|attend|join)
    \b(?:i|we) (?:can't|cannot|can not|won't)\W*$
""")
# Changes to a registration, which win over sign-up words: "Change of plans", "I'm now vegan".
CHANGE = phrases(r"""
    \bupdate\b | change of plans | change (?:my|the|our) | \bamend | \bcorrection\b | \binstead of\b
    no longer (?:vegan|vegetarian) | \bi'?m now\b | only me now
    \bcorrect (?:my|the|it|that) | misspel+ed | \bshould (?:be|read) spelled | \bis spelled\b
    \bwrong (?:name|spelling|organi[sz]ation|company|employer|e-?mail|address|diet)
    \bwe(?:'re| are|'ll be| will be) (?:\w+ ){1,2}more\b | \bswitch (?:my|the|our)\b | \bchange (?:it|that) to\b | \bchange my (?:diet|name|seats?)\b
    \bmy new (?:e-?mail(?: address)?|address|name|surname|last name) | my name is now | got married
    new e-?mail address
""")
# After a "can't come": only part of the day, so no cancellation ("can't come in the morning").
PART_OF_THE_DAY = phrases(
    r"(?:in|for) the (?:morning|afternoon|evening) | (?:for )?the whole (?:day|event|time) | until | on time"
)
# Additions, also in a first sign-up: "I forgot to mention ...", "adding a colleague".
ADDITION = phrases(r"""
    forgot to (?:mention|say|add|tell) | (?:add|adding) (?:that|a colleague|one more|my) | (?:now|also) (?:be )?bringing
    \badd (?:a|one|another|an extra) (?:seat|place|spot|person)
    \bmy new (?:job|employer) | \b(?:i'?ve|i have) (?:moved|changed jobs?|switched jobs?)
    \b(?:come|arrive|be there) (?:a bit |only )?(?:late|later|after lunch) | \bleave early
""")
# "My colleague would also like to come": who, will, also, a softener and the verb, in that order.
ADDITION_WHO = words(r"colleague\w* boss he she")
ADDITION_WILL = words("would will wants?")
ALSO = words("also")
ADDITION_SOFTENER = phrases("like to")
JOIN_VERBS = words("come join attend")
# Hedges and questions that make a sign-up phrase tentative: "I might sign up if so".
HEDGE = phrases(r"""
    \bmight\b | \bmaybe\b | \bperhaps\b | \bconsidering\b | thinking (?:about|of) | \bif so\b | \bbefore i\b
    wondering | would like to know | if one wants | how do i | not sure (?:if|whether) | don't know (?:if|whether|yet)
    unsure | \bprobably\b | can't decide
""")
# Already registered, so a sign-up phrase is not a new sign-up: "I already signed up last week".
ALREADY = phrases("already (?:signed up|registered) | have (?:already )?registered | signed up (?:last|a few|two|for)")
# A polite request is a sign-up, not a question: "Could you sign me up?".
REQUEST = phrases(
    r"\b(?:can|could|would|will) you (?:please |kindly )?(?:sign|register|book|add|put|count) (?:me|us)\b"
    r" | \bplease (?:register|sign up|book|add|count) (?:me|us)\b"
)
# The writer speaking of themselves ("I", "we", "my"): a sign-up phrase is theirs.
FIRST_PERSON = words("i i'm i'd i'll we we're we'll me us my our id im ill")
# "My colleague can't come" is someone else's change: possessive, person, or a pronoun first.
POSSESSIVES = words("my our")
OTHER_PEOPLE = words("colleague colleagues boss friend partner wife husband")
THIRD_PERSON = words("he she they")
# "Colleagues who can't come": a cancellation in a relative clause is someone else's.
RELATIVE_PRONOUNS = words("who")
# A plain yes to the invitation: "Yes!", "Count me in".
YES = phrases("yes | yep | sure | definitely | absolutely | count me in")
# A whole mail of a word or two that says yes: "In!", "I'm in", "Coming!".
TERSE_SIGNUP = phrases(
    r"in | i'm in | we're in | me too | coming | i'm coming | we're coming | attending | i'll be there"
)
# Labels of a form-like sign-up: "Name: ...".
FORM_LABELS = phrases("name | full name | organization | company")
# Subject prefixes of replies and forwards: "Re: Registration", "Fwd: ...".
REPLY_PREFIXES = words("re fwd? fw")
# Our confirmation, quoted or in the subject: a sign-up phrase below it changes the registration.
CONFIRMATION = phrases("thanks for signing up | you are (?:now )?registered | your registration | confirmation")
# What only our confirmation says, as quoted below a reply (an invitation may say "your registration").
CONFIRMATION_QUOTED = phrases(
    r"thank(?:s| you) for (?:signing up|registering|your registration) | you are (?:now )?registered\b"
    r" | you are on the waiting list"
)
# Subjects that say sign-up or cancellation: "Registration", "Cancel".
SUBJECT_SIGNUP = phrases(r"registration | sign[- ]?up | rsvp | \bjoining\b | \battending\b")
SUBJECT_CANCEL = words("cancel")
# Words that may stand before an elliptical sign-up: "Hi! Count me in".
LEAD_INS = phrases("hi | hello | hey | dear all | yes | great | thanks | sure | would be | will be | would | will")
# Words that start a new clause: "I'm coming, but my colleague can't".
CLAUSE_JOINERS = words("but and")
WHILE = words("while")
# Conditionals: "If I can't make it, ..." is no cancellation; "Provided that ...".
IF = words("if")
# A condition after the sign-up: "I'd love to come if it works out".
TRAILING_IF = phrases(r"\bif\b | \bprovided (?:that|it)\b")
IN_CASE = phrases("if so | in that case")
PROVIDED = words("provided")

# --- Seats and guests (details.py) ---------------------------------------------------------------

NUMBER_WORDS = {
    "one": 1,
    "a": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
}
# "3 instead of two": the numbers a correction counts from.
SMALL_NUMBER_WORDS = words("one two three four five six")
ONE = words("one")
# People who come along: "me and two colleagues", "my partner".
COMPANIONS = words(r"""
    colleagues? friends? partner guests? coworkers? co-workers? teammates? wife husband boss manager people persons?
    others? students? girlfriend boyfriend fiancée? spouse flatmate roommate
""")
# Others who register themselves: "they will send their own registrations" adds no seat to the writer's row.
OWN_REGISTRATIONS = phrases(
    r"their own registrations? | register themselves | sign up themselves | register separately | sign up separately"
)
# Companions in the plural: "me and my colleagues" brings an unknown number.
PLURAL_COMPANIONS = words("colleagues friends guests coworkers people students")
# A total said outright: "Number of people: 3", "We'll be 4", "Make it 5", "a party of 6", "3 people".
SEAT_LABELS = phrases(
    "number of (?:people|attendees|seats|guests|participants) | seats | attendees | people | party size"
)
WE = words("we")
WE_VERBS = words("will are would should 're")
SEAT_FILLERS = words("now actually be only just")
# "Vi blir en till", "we're two more": more people, not the total.
MORE = words("more extra")
DURATIONS = words("days hours weeks years")
MAKE_IT = phrases("make (?:it|that) | change (?:it|that) to")
INSTEAD_OF = phrases("instead of")
GROUP_OF = phrases("party of | a team of | team of | a group of")
HEADCOUNT_UNITS = words("people persons attendees participants seats places spots tickets")
# "Two from us", "two from our team": the whole party ("one of us" is not: one of them).
OF_US = phrases("from us | from our")
SEATS_FOR = phrases("seats? for | tickets? for | table for | reserve | book")
WE_ARRIVE: tuple[str, ...] = ()
ARRIVE_UNITS: tuple[str, ...] = ()
IN_TOTAL = phrases("in total | all together | altogether")
# Companions counted one by one: "me and my colleague", "bringing two friends", "plus one".
I_AND = words("me i myself")
ME_PLUS = words("me up")
AND = words("and plus")
WITH = phrases("with | together with")
COME_ALONG = phrases(r"(?:will|'ll) (?:come|join) (?:with me|along|too) | (?:are|'re) coming (?:with me|along|too)")
BRING = phrases(r"bring(?:ing)? | take with me | taking with me | take along | bring along")
BRING_MY = phrases("bring(?:ing)? | will bring | 'll bring")
MY = words("my our")
MY_AFTER_AND = words("my our")
MY_WITH = words("my")
# "My colleague pointed me to the meetup" is not coming along.
NOT_COMING = words("pointed told recommended sent forwarded tipped mentioned")
# A guest list's words: "My colleague Per Persson (per@x.se) also wants to join"; "(me)" marks the writer.
GUEST_CONTEXT = phrases(r"""
    colleague | \band\b | \balso\b | following | register | sign up | coworker | boss | \bus\b | \bteam\b
""")
GUEST_LEAD_WORDS = words("My Our And Colleague")
MYSELF = words("me i myself")
# Signing someone else up: "I'd like to register my colleague ...", "on her behalf", "I can't come myself".
ON_BEHALF = phrases(r"""
    \b(?:register|sign up|signing up|enrol|enroll|book|registering|booking|nominate) (?:my|our|a|one|two|three|four|\d)(?: of my| of our)? (?:\w+ )?(?:colleagues?|coworkers?|co-workers?|friends?|boss|manager|partner|guests?|teammates?|team members?|students?|employees?|staff|people|persons)
    \b(?:sign|register|book) (?:my|our) (?:\w+ )?(?:colleagues?|coworkers?|friends?|boss|manager|partner|guests?) (?:up|in)\b
    \bregister the following | on behalf of | on (?:his|her|their) behalf | in my place | instead of me
    \b(?:not|can't|cannot|won't|will not|am not|unable to) (?:\w+ ){0,5}myself\b | someone else | somebody else
    \bi (?:won't|will not|can't|cannot) (?:attend|come|make it|join|be there)(?: \w+){0,2}, (?:but|so)\b
""")
# The writer is coming too: "sign me and my colleague up", "we'll be two", "Anna Svensson (me)".
SELF_INCLUDED = phrases(r"""
    \b(?:register|sign|book|count|add) (?:\w+ )?(?:me|us|myself)\b | \b(?:me|myself|us) (?:and|\+|plus|too|as well)\b
    \band (?:me|myself)\b | \bi(?:'ll| will| am|'m| would| shall) (?:also |too |be )?(?:come|coming|attend|attending|join|joining|there)\b
    \bboth of us\b | \bwe both\b | \((?:me|myself)\) | \bi'd (?:also |too )?(?:like|love) to (?:come|attend|join)
    \bwe(?:'ll| will| are) (?:both |all )?(?:come|coming|attend|attending|join|joining|be there|be (?:\d|two|three|four))
""")

# --- Names and organisations (people.py, organisations.py) ---------------------------------------

# "Name: Anna Svensson", "My name is Anna Svensson", "This is Anna Svensson" (first name and surname).
NAME_LABELS = phrases("name | full name | participant")
NAME_SAID = phrases(
    "my name is spelled | my name is spelt | my name is | my name's | change my name to | correct my name to"
    " | update my name to"
)
INTRODUCTIONS = phrases("this is | i am | i'm")
# "Organization: Swedish Tax Agency".
ORG_LABELS = words("organization org company employer affiliation university")
# Lower-case words inside an organisation's name: "Museum of Work", "Ernst & Young".
ORG_NAME_WORDS = words("of the for de &")
ORG_NAME_ENDINGS: tuple[str, ...] = ()
ORG_NAME_PREPOSITIONS: tuple[str, ...] = ()
# Small words that never join two capitalised parts of one name ("Anna and Per", "I at Region X").
NOT_BRIDGES = words("but with from at to in and is as who that the a an")
# Capitalised words that never begin an organisation's name.
NOT_ORG_STARTS = words("I I'm We My Our Hi Thanks PS")
# Where they work, said in passing: "I work at the Swedish Tax Agency", "developer at Skånetrafiken".
ORG_CUES = phrases(r"""
    member | active | involved | i am | i'm | our | work(?:s|ing)? | employed | stud(?:y|ying|ent) | researcher
    developer | engineer | owner | manager | analyst | officer | consultant | lead | volunteer | lecturer | archivist
    team | office | department
""")
ORG_CUE_PREPOSITIONS = words("at for in with")
# "I'm based in Tampere", "I moved here from Leipzig": a place, not a workplace.
NOT_WORKPLACE = words(
    "based located living live lives born moved relocated grew who hobbyist drive driving travel travelling commute commuting"
)
# "My employer is the Swedish Tax Agency".
MY_ORG = words("my our")
ORG_NOUNS = words("organization employer company")
IS_NAMED = words("is")
# "a small company, Lund Data Ltd".
ORG_KINDS = words("company firm startup organization agency employer group association")
# "volunteer (Code for Sweden)".
ORG_ROLES = words("volunteer member developer consultant researcher student")
# "We at the Swedish Tax Agency", "my colleagues from Region Skåne", "on behalf of Föreningen X".
I_WE_ME_US = words("i we us me")
FROM = words("from")
COLLEAGUES_FROM = phrases(r"colleagues?[ \t]+from")
REPRESENTING = phrases(r"\bwe at | representing | on behalf of | \bhere at | \bus at")
ORG_ARTICLES = words("the")
# A correction of the organisation: "Please put Vinnova as my organisation", "It should be Linköping University".
WRITE_ORG = phrases("please put | put | please write | write | change it to")
AS_ORG = phrases("as (?:my )?(?:organi[sz]ation|employer|affiliation)")
IT_SHOULD_BE = phrases("(?:organi[sz]ation|affiliation|employer)[^.]{0,40}? should be")
# Where a writer who uses no capitals says where they work: "2 coworkers from sgu", "working at skr".
LOWER_CASE_CUES = phrases(r"work(?:ing|s)? (?:at|for|with) | employed (?:at|by) | from | representing")
ORG_NAME_SUFFIXES = words("university agency ab ltd inc")
# Words after such a cue that are no organisation: "from home", "from the office".
COMMON_AFTER_CUE = words("home the a an my our us me you sweden norway denmark finland work there here list")
# Ordinary words that end a name written in lower case: "2 coworkers from sgu all veggie".
LOWER_CASE_STOPS = words("and all eat is has but so who will thx thanks no we i in at")
# "Carlos Mendes, developer at Skånetrafiken", "Anna from DIGG": the words between a name and its organisation.
AT_ORG = words("at")
SIGNED_FROM = words("from at")
# "Department of Transport at Region Stockholm": a department within its organisation.
WITHIN = words("of at")

# --- Language (language.py) ----------------------------------------------------------------------

# Frequent words that tell a short text is English.
FUNCTION_WORDS = frozenset(
    """
    the and to of is are i'm i'd i'll i've we you my me our your for on in with at be will would like please sign up
    attend attending count hi hello thanks thank regards best dear can cannot can't could not this that
    there it am have has from by colleague colleagues come coming register registration cancel sorry
    unfortunately what when where any also but if so just an a
    """.split()
)
