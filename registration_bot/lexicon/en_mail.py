r"""English: what surrounds a person's words in a mail: signatures, quotes, closings, auto-replies.

Same names as :mod:`.sv_mail`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- Signatures (signature.py) --------------------------------------------------------------------

# Job titles, also at the end of a compound (Swedish only): such a line is no name.
TITLE_ENDINGS: tuple[str, ...] = ()
TITLE_WORDS = phrases("""
    developer | engineer | manager | officer | lead | head of | director | analyst | architect | consultant | specialist
    coordinator | advisor | adviser | owner | scientist | researcher | lecturer | professor | student | designer
    founder | cto | ceo | cio | cdo | vp | president | intern | administrator | assistant | strategist | librarian
    archivist | statistician | executive | account | sales | business | partner | lawyer | counsel | secretary
    editor | journalist | product | project | programme | program | senior | junior | principal | chief | volunteer
    phd | chair | chairman | chairwoman | treasurer | board member | teacher | programmer | maintainer | contributor
    freelancer
""")
# Departments, not organisations: "Department of Computing", "Digital Services", "OSPO".
DEPARTMENT_WORDS = phrases(r"""
    department | dept\.? | division | unit | team | office of | section | school of | faculty | partnerships | sales
    marketing | communications | hr | it | digital services | open source programme office | ospo
""")
DEPARTMENT_ENDINGS: tuple[str, ...] = ()
DEPARTMENT_TAILS = words("unit team division section department")
# Strong organisation words: a line with one is an organisation ("Lund University", "Nordkod Ltd").
ORG_ENDINGS: tuple[str, ...] = ()
ORG_WORDS = phrases("""
    Ltd | Inc | LLC | plc | universit(?:y|ies) | institutes? | agency | authority | municipality | council | foundation
    association | consulting | company | corporation | ministry | administration | board | alliance | society | school
    college | for Sweden | of Sweden
""")
# Words that suggest an organisation but also name teams and departments ("Data Labs", "Digital").
WEAK_ORG_WORDS = words("labs? data tech systems solutions group office network development digital")
# Contact lines: "Phone: +46 70 123 45 67", "1 Main Street".
CONTACT_LABELS = words("tel phone mobile m t e email mail web fax")
ADDRESS_WORDS = words("street road")
# Legal and app footers: "Sent with Proton Mail secure email", "This e-mail is confidential".
FOOTERS = phrases("sent with | proton mail | secure email | confidential | this e-?mail | gdpr | pgp | save paper")
# Small words a cut-off organisation name must not end with: "Museum of".
NAME_TAIL_WORDS = words("and of the for de &")

# --- Quotes, forwards and closings (quotes.py) ----------------------------------------------------

# "---------- Forwarded message ---------", "-----Original Message-----".
FORWARD_MARKERS = phrases("forwarded message | begin forwarded message | start of forwarded message")
ORIGINAL_MARKERS = phrases("original message | reply message")
# Outlook's reply header: "From:", then "Sent:", "To:", "Subject:".
HEADER_FROM = words("from")
HEADER_OTHER = words("sent date to subject cc")
# "On Thu, 26 Nov 2026 at 09:12, Anna <a@x.se> wrote:".
ATTRIBUTION_OPENERS = words("on")
ATTRIBUTION_VERBS = words("wrote")
ATTRIBUTION_LONG: tuple[str, ...] = ()
# Phone and app footers, dropped: "Sent from my iPhone", "Get Outlook for Android".
PHONE_FOOTER_STARTS = phrases("sent from | get")
PHONE_FOOTER_NEXT = words("my outlook mail yahoo samsung huawei xiaomi proton the")
PHONE_WORDS = phrases("mobile | mail for windows | smartphone | phone")
APP_NAMES = phrases("""
    iphone | ipad | android | samsung | galaxy | outlook | yahoo | huawei | xiaomi | protonmail | proton mail
    blackberry | pixel | oneplus
""")
# Closings that start a signature: "Best regards, Anna", "Cheers".
CLOSINGS = phrases("""
    best regards | kind regards | warm regards | warmest regards | regards | best wishes | all the best | best
    cheers | thanks | thank you | thanks in advance | many thanks | thanks a lot | br | sincerely | yours sincerely
    yours | kindly | greetings
""")
# Greetings, never a signature's name: "Hi Anna".
GREETINGS = phrases("hi | hello | hey | dear | good morning")

# --- Robots (robots.py) ---------------------------------------------------------------------------

# Automatic subjects, as a prefix or the whole subject: "Out of Office: ...", "[Auto-Reply]", "Read: ...".
AUTO_REPLY_SUBJECTS = phrases("""
    out of (?:the )?office(?: auto ?reply)? | ooo | automatic reply | auto[- ]?reply | autoreply | auto[- ]?response
    vacation(?: reply| notice| response)? | away from (?:the )?office | on vacation | auto | auto[- ]generated
    read | not read | read receipt
""")
# Calendar responses to our invitations (Outlook, Google, Apple): "Accepted: Meetup".
CALENDAR_SUBJECTS = phrases("accepted | declined | tentative | tentatively accepted")
# Delivery reports: "Undeliverable: ...", "Delivery Status Notification (Failure)".
BOUNCE_SUBJECTS = phrases("""
    undeliverable | undelivered mail | delivery status notification | delivery (?:failure|failed|has failed|delayed|notification)
    mail delivery (?:failed|failure|system) | returned mail | failure notice | non[- ]?delivery
    warning: could not send message | message not delivered | delivery report
""")
BOUNCE_PHRASES = phrases("""
    delivery (?:status notification|failed|failure) | undeliverable | could not be delivered | returned mail
    awaits moderator approval
""")
# Ticket systems acknowledge every mail: "[Request received]", "Ticket #4821 created".
TICKET_SUBJECTS = phrases(r"request received | ticket received | we(?:'ve| have) received | ticket #?\d+ | case #?\d+")
TICKET_BODIES = phrases(r"""
    ##- please type your reply above this line -## | your (?:request|ticket|case) (?:\(\d+\) |#?\d+ )?has been (?:received|created)
""")
