r"""Swedish: what people write to the registration address, one list per concept.

Same names as :mod:`.en`; see :mod:`registration_bot.lexicon` for the rules of writing them.
"""

from __future__ import annotations

from .build import phrases, words

# --- What the writer wants (intent.py) -----------------------------------------------------------

# Sign-ups in the writer's own words: "Jag anmäler mig!", "Räkna med mig", "Vi blir tre".
SIGNUP = phrases(r"""
    \banmäl(?:a|er)? (?:mig|oss|härmed|gärna|också|även) | \banmäler (?:mig|oss|härmed)
    (?:vill|ska|skulle) (?:gärna |också |även |jättegärna |väldigt gärna )?(?:vilja )?(?:anmäla|delta|vara med|komma|närvara|medverka|boka|registrera|gå)
    räkna med (?:mig|oss) | räkna in (?:mig|oss) | (?:jag|vi) (?:är|e) med
    (?:jag|vi) (?:kommer(?! med (?:bil|tåg|buss|cykel|flyg|båt|kollektivtrafik|tunnelbana|spårvagn)| från| ihåg| tillbaka| att behöva| att fråga)|deltar|är på|ses där|närvarar)\b | kommer gärna | deltar gärna | är gärna med | gärna med\b
    skriv upp (?:mig|oss) | boka (?:mig|en plats|plats|oss) | (?:jag|vi) hänger på
    intresserad(?:e)? av att (?:delta|komma|vara med) | intresserad och vill | tacka(?:r)? ja | ja tack | ja, tack
    önskar (?:delta|anmäla|komma) | plats(?:er)? (?:till|för) (?:mig|oss) | ^hänger på\b | hänger (?:gärna )?med\b
    \b(?:jag|mig) (?:kommer )?(?:plus|\+) ?(?:one|\d|en|ett|två|tre)\b
    \b(?:två|tre|fyra|fem|sex|\d{1,2}) (?:st )?(?:från|av) (?:oss|vår|vårt|våra)\b[^.!?]{0,40}\bkommer\b
    \bvi (?:blir|är|kommer) (?:\d{1,2}|två|tre|fyra|fem|sex|sju|åtta)\b
    (?:^|[.!]\s*)(?:gärna|absolut|självklart)[!.] | hoppas få komma | vill hemskt gärna
""")
# Cancellations: "Jag kan tyvärr inte komma", "Stryk mig från listan", "Något har kommit emellan".
CANCEL = phrases(r"""
    avanmäl | avregistrer | stryk(?:a)? (?:mig|mitt namn|min anmälan|oss) | ta bort (?:mig|min anmälan|oss|mitt namn)
    lämna(?:r)? återbud | återbud | avboka | avstå | hoppa(?:r)? av | backa ur | tacka(?:r)? nej | återkall\w*
    \bingen av oss (?:kan|kommer|har möjlighet|hinner) | \bblir (?:inte|inget) av\b
    \bställ(?:er|a)? (?:tyvärr )?in (?:mitt|min|vårt|vår) | \b(?:jag|vi) kan (?:tyvärr )?(?:inte|ej)\W*$
    \b(?:kan|kommer|hinner|har möjlighet|går|får|kunna)(?: \w+){0,3} (?:inte|ej)(?: \w+){0,3} (?:komma|delta|närvara|vara med|medverka|dyka upp|följa med|gå)
    \b(?:inte|ej) (?:längre )?(?:möjlighet|kunna|komma|delta) | kommer (?:tyvärr )?inte(?! från| ifrån| heller från)\b
    något (?:har )?kommit emellan
""")
# Changes to a registration, which win over sign-up words: "Vi blir färre", "Jag har bytt jobb".
CHANGE = phrases(r"""
    \bändr(?:a|ing|ar|at)\b | uppdater | rättelse | korrigera | \bistället för\b | \bi stället för\b
    (?:vi|jag) blir (?:nu |istället |i stället |ändå )?(?:fler|färre|en till|en mer)
    bytt (?:organisation|namn|mejl|e-post) | \bnumera\b | inte längre (?:vegan|vegetarian|vegetarisk)
    bara jag nu | kommer ensam | jag kommer själv
    \bvi blir (?:\w+ ){1,2}till\b | \bfel (?:organisation|namn|adress|e-?postadress|kost) | \bdet ska (?:vara|stå)\b
    \brätta (?:det|till|mitt|min|stavningen|namnet) | felstavat | (?:ska|skall) (?:vara|stå|stavas) | stavas (?:med|så)
    \b(?:min|mitt) nya (?:e-?post(?:adress)?|mejl(?:adress)?|adress|namn|efternamn) | ny e-?postadress
    bytt (?:namn|efternamn) | heter numera | har gift mig
""")
# After a "can't come": only part of the day, so no cancellation ("kan inte komma på förmiddagen").
PART_OF_THE_DAY = phrases(
    r"på (?:förmiddagen|eftermiddagen|morgonen|kvällen) | hela (?:dagen|tiden|träffen) | förrän | i tid"
)
# Additions, also in a first sign-up: "Jag glömde nämna att ...", "Lägg till min kollega".
ADDITION = phrases(r"""
    lägg(?:a)? till | tillägg | komplettera | (?:glömde|glömt) (?:att )?(?:skriva|nämna|säga|berätta)
    bytt (?:jobb|arbete|arbetsplats|arbetsgivare) | \b(?:mitt|min) nya (?:jobb|arbetsplats)
    \bkommer (?:först |lite )?(?:efter lunch|senare|sent|på eftermiddagen) | \bgå (?:lite )?tidigare | \bgå tidigt
    \ben plats till\b | \bytterligare en (?:plats|person|deltagare)
""")
# "Min kollega vill också gärna komma": who, will, also, a softener and the verb, in that order.
ADDITION_WHO = words(r"kollega\w* chef han hon")
ADDITION_WILL = words("vill ska kan")
ALSO = words("också även")
ADDITION_SOFTENER = words("gärna")
JOIN_VERBS = phrases("följa med | komma | vara med")
# Hedges and questions that make a sign-up phrase tentative: "Jag funderar på att anmäla mig".
HEDGE = phrases(r"""
    funderar på | fundera på | tänker (?:kanske|eventuellt) | kanske | eventuellt | möjligen | \binnan (?:jag|vi)\b
    vill (?:gärna )?veta
    skulle (?:kunna )?vilja veta | undrar (?:om|hur|när|var|vad) | vem ska man | om man vill | hur gör (?:jag|man)
    vet inte om | osäker på om | troligen | förmodligen | kan inte bestämma
""")
# Already registered, so a sign-up phrase is not a new sign-up: "Jag har redan anmält mig".
ALREADY = phrases(r"har (?:redan )?anmält | redan anmäld | anmälde mig (?:för|i|redan)")
# A polite request is a sign-up, not a question: "Kan ni anmäla mig?".
REQUEST = phrases(r"""
    \b(?:kan|skulle|vill) ni (?:(?:snälla|vänligen|gärna|också|även) )?(?:anmäla|registrera|skriva upp|boka|lägga till) (?:mig|oss)\b
    \b(?:anmäl|registrera|skriv upp) (?:mig|oss) (?:gärna|tack)\b | \bvar snäll och anmäl
""")
# The writer speaking of themselves ("jag", "vi", "min"): a sign-up phrase is theirs.
FIRST_PERSON = words("jag vi mig oss min mitt vår")
# "Min kollega kan inte komma" is someone else's change: possessive, person, or a pronoun first.
POSSESSIVES = words("min mina vår våra")
OTHER_PEOPLE = words("kollega kollegor chef vän partner sambo fru man")
THIRD_PERSON = words("han hon de hen kollegan chefen sambon partnern")
# "Kollegor som inte kan komma": a cancellation in a relative clause is someone else's.
RELATIVE_PRONOUNS = words("som")
# A plain yes to the invitation: "Ja!", "Absolut".
YES = words("ja japp jajamän absolut självklart gärna")
# A whole mail of a word or two that says yes: "Jag med!", "Kommer!", "Vi kommer".
TERSE_SIGNUP = phrases(r"jag med | jag också | kommer | jag kommer | vi kommer | med | jag är med | vi är med | in")
# Labels of a form-like sign-up: "Namn: ...".
FORM_LABELS = words("namn organisation företag")
# Subject prefixes of replies and forwards: "SV: Anmälan", "VB: ...".
REPLY_PREFIXES = words("sv vb")
# Our confirmation, quoted or in the subject: a sign-up phrase below it changes the registration.
CONFIRMATION = phrases(r"tack för din anmälan | du är (?:nu )?anmäld | din anmälan | bekräftelse")
# What only our confirmation says, as quoted below a reply (an invitation may say "din anmälan").
CONFIRMATION_QUOTED = phrases(r"tack för din anmälan | du är (?:nu )?anmäld\b | du står på väntelistan")
# Subjects that say sign-up or cancellation: "Anmälan", "Återbud".
SUBJECT_SIGNUP = phrases("anmälan | anmäl mig | deltagande")
SUBJECT_CANCEL = phrases(r"avanmälan | avanmäl | återbud | återkall\w*")
# Words that may stand before an elliptical sign-up: "Hej! Hänger på!".
LEAD_INS = phrases("hej | hej hej | hejsan | hallå | ja | kul | tack | absolut | gärna | självklart")
# Words that start a new clause: "Jag kommer, men min kollega kan inte".
CLAUSE_JOINERS = words("men och")
WHILE = words("medan")
# Conditionals: "Om jag inte kan komma ..." is no cancellation; "Ifall det går, ...", "Förutsatt att ...".
IF = words("om")
# A condition after the sign-up: "vill gärna komma om det fungerar".
TRAILING_IF = phrases(r"""
    \bom det (?:fungerar|går|passar|funkar|blir|är)\b | \bom lokalen\b | \bförutsatt att\b | \bifall\b
    \bom (?:jag|vi|min|mina|chefen|man) (?:får|kan|hinner|godkänner)\b
""")
IN_CASE = phrases("ifall | i så fall | isåfall")
PROVIDED = words("förutsatt")

# --- Seats and guests (details.py) ---------------------------------------------------------------

NUMBER_WORDS = {
    "en": 1,
    "ett": 1,
    "två": 2,
    "tre": 3,
    "fyra": 4,
    "fem": 5,
    "sex": 6,
    "sju": 7,
    "åtta": 8,
    "nio": 9,
    "tio": 10,
}
# "3 istället för två": the numbers a correction counts from.
SMALL_NUMBER_WORDS = words("en ett två tre fyra fem sex")
ONE = words("en ett")
# People who come along: "jag och två kollegor", "min sambo".
COMPANIONS = words(r"""
    kollega kollegor kollegorna kolleger arbetskamrat(?:er)? vän vänner kompis(?:ar)? partner sambo fru man make maka
    chef medarbetare praktikant person(?:er)? gäst(?:er)? student(?:er)? doktorand(?:er)? flickvän pojkvän rumskompis
""")
# Others who register themselves: "de skickar egna anmälningar" adds no seat to the writer's row.
OWN_REGISTRATIONS = phrases(
    r"egna anmälningar | egen anmälan | anmäler sig (?:själva|själv|separat) | anmäler sig på egen hand"
)
# Companions in the plural: "jag och mina kollegor" brings an unknown number.
PLURAL_COMPANIONS = words("kollegor kolleger vänner gäster studenter doktorander")
# A total said outright: "Antal personer: 3", "Vi blir nog 4", "Gör det till 5", "ett gäng på 6", "3 st".
SEAT_LABELS = phrases("antal(?: personer| platser| deltagare)? | platser | personer | deltagare")
WE = words("vi")
WE_VERBS = words("blir är kommer")
SEAT_FILLERS = phrases("nog | totalt | sammanlagt | i alla fall | just nu | alltså | då | bara | endast")
# "Vi blir en till", "we're two more": more people, not the total.
MORE = words("till fler extra")
DURATIONS = words("dagar veckor timmar år")
MAKE_IT = phrases("gör det till | ändra till")
INSTEAD_OF = phrases("istället för | i stället för")
GROUP_OF = phrases("ett gäng på | en grupp på | ett team på")
HEADCOUNT_UNITS = words("personer pers st stycken deltagare platser")
# "Två från oss", "två från vår enhet": the whole party ("en av oss" is not: one of them).
OF_US = phrases("från oss | från vår | från vårt | från våra")
SEATS_FOR = phrases("plats(?:er)? för | boka | bord för")
WE_ARRIVE = words("kommer blir")
ARRIVE_UNITS = words("från st stycken")
IN_TOTAL = phrases("totalt | sammanlagt | i allt")
# Companions counted one by one: "jag och min kollega", "tar med mig två vänner", "plus en".
I_AND = words("jag")
ME_PLUS = words("jag mig")
AND = words("och plus samt")
WITH = phrases("med | tillsammans med")
COME_ALONG = phrases(r"kommer med mig | följer med | hänger med | kommer också")
BRING = phrases("tar med | tar jag med | ta med | med mig")
BRING_MY = phrases("tar med | tar jag med | tar vi med | ta med")
MY = words("min vår")
MY_AFTER_AND = words("min mina vår")
MY_WITH = words("min mitt mina")
# "Min kollega tipsade mig om träffen" is not coming along.
NOT_COMING = words("tipsade skickade berättade vidarebefordrade tipsat")
# A guest list's words: "Min kollega Per Persson (per@x.se) vill också komma"; "(jag)" marks the writer.
GUEST_CONTEXT = phrases(
    r"kolleg | också | även | \bsamt\b | \boch\b | följande | anmäla | medarbetare | chef | \boss\b"
)
GUEST_LEAD_WORDS = words("Min Vår Och Kollega Kollegan")
MYSELF = phrases("jag | mig själv")
# Signing someone else up: "Jag vill anmäla min kollega ...", "för hennes räkning", "jag kan inte själv".
ON_BEHALF = phrases(r"""
    \banmäl(?:a|er|de)? (?:härmed |också |även |gärna )?(?:min|mitt|mina|vår|våra|en|två|tre|fyra|\d) (?:av (?:mina|våra) )?(?:\w+ )?(?:kollega|kollegor|kolleger|medarbetare|chef|vän|vänner|praktikant|gäst|gäster|sambo|partner|personer|deltagare|studenter|doktorander)
    \banmäl(?:a|er)? (?:härmed )?(?:följande|nedanstående) | för (?:hans|hennes|deras|min \w+s) räkning
    \banmäl(?:a|er|de)? (?:\w+ )?(?:honom|henne|hen|dem)\b
    å (?:hans|hennes|deras|min \w+s) vägnar | på uppdrag av | i stället för mig | istället för mig
    \binte (?:\w+ ){0,4}själv\b | någon annan | \bsjälv (?:\w+ ){1,2}(?:tyvärr )?(?:inte|ej)\b
    \bjag själv (?:kommer|kan|deltar|är|hinner) (?:tyvärr )?inte\b
""")
# The writer is coming too: "anmäla mig och min kollega", "vi blir två", "Anna Svensson (jag)".
SELF_INCLUDED = phrases(r"""
    \banmäl\w* (?:\w+ )?(?:mig|oss)\b | \b(?:mig|oss) (?:och|samt|\+|plus)\b | \b(?:och|samt|\+|plus) (?:mig|jag)\b
    \bjag (?:kommer|deltar|är med|följer med) (?:också|även|med|gärna)\b | \bjag med\b | \bvi två\b | \bbåda\b | \bbägge\b
    \bvi (?:kommer (?:båda |alla )?(?:gärna|med|\d|två|tre|fyra)|blir (?:\d|två|tre|fyra|fem)|är (?:\d|två|tre|fyra|fem|med))\b
    \((?:jag|mig själv)\) | räkna med (?:mig|oss)
""")

# --- Names and organisations (people.py, organisations.py) ---------------------------------------

# "Namn: Anna Svensson", "Jag heter Anna Svensson", "Det är Anna Svensson" (first name and surname).
NAME_LABELS = phrases("namn | fullständigt namn | för- och efternamn | deltagare")
NAME_SAID = phrases(r"""
    mitt namn stavas | jag heter | mitt namn är | namnet är | (?:ändra|rätta|byt) (?:mitt )?namn(?:et)? till | mitt namn ska vara
""")
INTRODUCTIONS = phrases("det är")
# "Organisation: Region Skåne".
ORG_LABELS = words("""
    organisation företag myndighet arbetsgivare arbetsplats förvaltning bolag institution universitet lärosäte kommun
    region förening
""")
# Lower-case words inside an organisation's name: "Kodbyrån i Norr AB", "Post- och telestyrelsen".
ORG_NAME_WORDS = words("i för och AB kommun stad universitet högskola region ekonomisk förening län tekniska")
ORG_NAME_ENDINGS = words("""
    styrelsen verket myndigheten nämnden kommun förvaltningen inspektionen universitet högskola högskolan institutet
    förbundet rådet kassan banken bolaget museet arkivet biblioteket
""")
ORG_NAME_PREPOSITIONS = words("på vid hos")
# Small words that never join two capitalised parts of one name ("Anna och Per", "Jag på Region X").
NOT_BRIDGES = words("men som med till hos på vid och att är en ett")
# Capitalised words that never begin an organisation's name.
NOT_ORG_STARTS = words("Jag Vi Min Mitt Vår Hej Tack")
# Where they work, said in passing: "jag jobbar på Region Skåne", "aktiv i Föreningen X".
ORG_CUES = phrases(r"""
    jobbar | arbetar | anställd | verksam | forskar | läser | studerar | pluggar | doktorerar | praktiserar | konsultar
    aktiv | engagerad | medlem | jag är | vår | våra | arkivarie | kontor | avdelning | enhet | grupp
""")
ORG_CUE_PREPOSITIONS = words("på vid hos för inom åt i")
# "Jag bor i Umeå", "baserad i Malmö": a place, not a workplace.
NOT_WORKPLACE = words("bor boende baserad stationerad född flyttade flyttat uppvuxen kör åker reser pendlar")
# "Min arbetsgivare är Skatteverket".
MY_ORG = words("min mitt vår")
ORG_NOUNS = words("organisation arbetsgivare företag myndighet arbetsplats")
IS_NAMED = words("är heter")
# "ett litet konsultbolag, Lunds Data AB".
ORG_KINDS = words("konsultbolag konsultföretag företag bolag förening organisation myndighet byrå arbetsgivare grupp")
# "engagerad volontär (Code for Sweden)".
ORG_ROLES = words("medlem engagerad aktiv utvecklare konsult student")
# "Vi på Försäkringskassan", "jag och mina kollegor från Region Skåne", "representerar föreningen X".
I_WE_ME_US = words("jag vi oss mig")
I_WE = words("jag vi")
FROM = words("från")
COLLEAGUES_FROM = phrases(r"kollegor(?:na)?[ \t]+från | kollega[ \t]+från")
REPRESENTING = phrases(r"\bvi på | representerar | \bhär på | \bhos oss på | \bfrån oss på")
ORG_ARTICLES = words("föreningen organisationen myndigheten företaget")
# A correction of the organisation: "Skriv gärna Region Skåne som organisation".
WRITE_ORG = phrases("skriv gärna | skriv | ändra till | sätt")
AS_ORG = phrases("som (?:min )?(?:organisation|arbetsplats|arbetsgivare)")
# Where a writer who uses no capitals says where they work: "jobbar på lantmäteriet", "vi är 2 från jobtech".
LOWER_CASE_CUES = phrases(
    r"jobbar (?:på|vid|hos|inom) | arbetar (?:på|vid|hos|inom) | anställd (?:på|vid|hos) | från | representerar"
)
ORG_NAME_SUFFIXES = words("kommun stad region län universitet högskola ab")
# Names that are a kind of body and its town: "Högskolan i Gävle", "Länsstyrelsen i Kalmar län".
NEEDS_ITS_TOWN = words(
    "högskolan universitetet länsstyrelsen tingsrätten hovrätten kommunen staden regionen landstinget"
)
# Words after such a cue that are no organisation: "från oss", "från Finland".
COMMON_AFTER_CUE = words("""
    oss mig er dig dem honom henne sverige norge danmark finland hemma början kontoret jobbet listan utskicket
    ett en den det
""")
# Ordinary words that end a name written in lower case: "jobbar på lantmäteriet äter inte gluten".
LOWER_CASE_STOPS = words("och o äter är har men så som vill kommer mvh tack ingen inga med vi jag alla")
# "Anna Svensson, utvecklare på DIGG", "Anna från DIGG": the words between a name and its organisation.
AT_ORG = words("på vid hos")
SIGNED_FROM = words("från på")
# "Trafikförvaltningen i Region Stockholm": a department within its organisation.
WITHIN = words("i på vid hos inom")

# --- Language (language.py) ----------------------------------------------------------------------

# Frequent words that tell a short text is Swedish.
FUNCTION_WORDS = frozenset(
    """
    och att det är jag vi du ni med för på som av till inte har kan vill en ett den de mig mina min mitt
    oss er hej hejsan tack gärna kommer komma anmäla anmäler anmälan avanmäla avanmäler också men om så
    blir bli vara hälsningar mvh vänlig hälsning kollega kollegor från när var finns något någon eller
    räkna nej ja tyvärr dag datum ska skulle måste gå går bara även eftersom här där lite mycket
    """.split()
)
