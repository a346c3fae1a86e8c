r"""Swedish: what surrounds a person's words in a mail: signatures, quotes, closings, auto-replies.

Same names as :mod:`.en_mail`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- Signatures (signature.py) --------------------------------------------------------------------

# Job titles, also at the end of a compound ("systemutvecklare"): such a line is no name.
TITLE_ENDINGS = words("""
    utvecklare strateg ansvarig ingenjör chef ledare samordnare handläggare arkitekt specialist analytiker konsult
    förvaltare lektor forskare sekreterare rådgivare rådgiver ägare designer expert tekniker administratör koordinator direktör
    arkivarie doktorand student studerande kommunikatör utredare controller jurist bibliotekarie projektledare
    sakkunnig assistent grundare vd statistiker registrator lärare ordförande kassör ledamot informatör programmerare
    beställare
""")
TITLE_WORDS = words("säljare advokat redaktör")
# Departments, not organisations: "IT-avdelningen", "Enheten för digitalisering", "Stadsledningskontoret".
DEPARTMENT_WORDS = phrases(r"""
    enheten | avdelningen | institutionen | sektionen | gruppen | teamet | kontoret | staben | förvaltningen för
    it-avdelningen | intraprenaden | kommunikation | hr | it | ledningsstaben | koncernstab\w* | digitala tjänster
""")
DEPARTMENT_ENDINGS = phrases(
    "förvaltningen | kontoret | avdelningen | enheten | sektionen | staben | byrån för | institutionen"
)
# Strong organisation words: a line with one is an organisation ("Skatteverket", "Lunds kommun", "Nordkod AB").
ORG_ENDINGS = words("""
    verket styrelsen kassan myndigheten förmedlingen trafiken trafik arkivet inspektionen rådet ämbetet nämnden
    kollektivet byrån banken bolaget centrum institutet akademien universitet universitetet högskola högskolan museet
    biblioteket kommun kommuner stad staden landsting länsstyrelsen region regionen förbundet föreningen förening
    stiftelsen kansliet departementet verk
""")
ORG_WORDS = phrases("AB | HB | KB | ekonomisk förening")
# Words that suggest an organisation but also name teams (Swedish names borrow the English ones).
WEAK_ORG_WORDS: tuple[str, ...] = ()
# Contact lines: "Tel: 010-123 45 67", "Box 123", "Storgatan 1".
CONTACT_LABELS = words("tel telefon mobil m t e e-post mail webb växel fax")
ADDRESS_WORDS = phrases(r"box | gatan | vägen | väg | allé | torget | plan \d")
# Legal and app footers: "Skickat med ...", "När du skickar e-post till oss behandlar vi dina personuppgifter".
FOOTERS = phrases("skickat med | konfidentiell | detta e-?post | när du skickar e-post | personuppgifter | miljön")
# Small words a cut-off organisation name must not end with: "Kodbyrån i".
NAME_TAIL_WORDS = words("och i för")

# --- Quotes, forwards and closings (quotes.py) ----------------------------------------------------

# "---------- Vidarebefordrat meddelande ---------", "-----Ursprungligt meddelande-----".
FORWARD_MARKERS = phrases("vidarebefordrat (?:meddelande|brev) | början av vidarebefordrat meddelande")
ORIGINAL_MARKERS = phrases(
    "ursprungligt meddelande | originalmeddelande | ursprungligt e-postmeddelande | svarsmeddelande"
)
# Outlook's reply header: "Från:", then "Skickat:", "Till:", "Ämne:".
HEADER_FROM = words("från")
HEADER_OTHER = words("skickat datum till ämne kopia")
# "Den tors 26 nov. 2026 kl 09:12 skrev Anna <a@x.se>:"; Apple Mail may write "skrev följande".
ATTRIBUTION_OPENERS = words("den")
ATTRIBUTION_VERBS = words("skrev")
ATTRIBUTION_LONG = phrases("skrev följande")
# Phone and app footers, dropped: "Skickat från min iPhone", "Hämta Outlook för Android".
PHONE_FOOTER_STARTS = phrases("skickat från | hämta | skickades från | sänt från")
PHONE_FOOTER_NEXT = words("min mitt e-post")
PHONE_WORDS = phrases("mobil | e-post för windows | telefon")
APP_NAMES: tuple[str, ...] = ()
# Closings that start a signature: "Mvh Anna", "Med vänliga hälsningar,".
CLOSINGS = phrases("""
    mvh | m v h | med vänlig hälsning | med vänliga hälsningar | vänliga hälsningar | vänlig hälsning
    bästa hälsningar | hälsningar | hälsning | hälsn | många hälsningar | varma hälsningar | hälsar | allt gott
    ha det bra | ha en fin dag | ha det gott | tack på förhand | tack och hej | tack så mycket | stort tack | tack
    tackar | vh | bh
""")
# Greetings, never a signature's name: "Hej Anna".
GREETINGS = phrases("hej | hejsan | hallå | tjena | tja | god morgon | hej hej")

# --- Robots (robots.py) ---------------------------------------------------------------------------

# Automatic subjects, as a prefix or the whole subject: "Autosvar: Anmälan", "Frånvaro", "Läst: ...".
AUTO_REPLY_SUBJECTS = phrases("""
    autosvar | automatiskt svar | automatiskt meddelande | frånvaro(?:meddelande)? | frånvarande
    läst | oläst | läskvitto
""")
# Calendar responses to our invitations (Outlook, Google, Apple): "Accepterat: Träff".
CALENDAR_SUBJECTS = phrases("accepterat | accepterad | godkänt | avböjt | avböjd | preliminärt")
# Delivery reports: "Olevererbart: ...", "Meddelandet kunde inte levereras".
BOUNCE_SUBJECTS = phrases("""
    olevererbart | kan inte levereras | det gick inte att leverera | leveransfel | meddelandet kunde inte levereras
""")
BOUNCE_PHRASES = phrases("kunde inte levereras | gick inte att leverera")
# Ticket systems acknowledge every mail: "Ärende #4821 registrerat", "Ditt ärende har tagits emot".
TICKET_SUBJECTS = phrases(r"ärende (?:mottaget|registrerat) | ärende(?:nummer)? #?\d+")
TICKET_BODIES = phrases("ditt ärende (?:har )?(?:tagits emot|registrerats)")
