"""The yearly report's wording in Dutch and English: titles, groups, denominators, notes.

Kept apart from the counting (:mod:`triage.research.report.figures`) so that the wording can
be reviewed in one place; each denominator must say exactly who the code counts.
"""

from __future__ import annotations

from triage.research.report.tables import Text

UNITS = {
    "visitors": Text("unieke bezoekers", "unique visitors"),
    "conversations": Text("gesprekken", "conversations"),
    "pipeline": Text("gesprekken en personen", "conversations and persons"),
}

TITLES = {
    "pipeline": Text(
        "Telling: van gesprekken naar unieke bezoekers",
        "Pipeline: conversations to unique visitors",
    ),
    "channel": Text("Kanaal", "Channel"),
    "exploitation_form": Text("Vorm van mensenhandel", "Form of exploitation"),
    "chatter_background": Text("Achtergrond chatter", "Chatter background"),
    "gender": Text(
        "Gender slachtoffer, totaal en per vorm", "Victim's gender, overall and per form"
    ),
    "age": Text("Leeftijd slachtoffer", "Victim's age"),
    "age_bands": Text("Leeftijdsgroepen slachtoffer", "Victim's age bands"),
    "first_disclosure": Text("Eerste keer verteld", "First disclosure"),
    "told_before": Text("Eerder verteld aan", "Told before"),
    "acutely_unsafe": Text(
        "Acuut onveilig bij het eerste gesprek", "Acutely unsafe at the first conversation"
    ),
    "duration": Text("Duur van de uitbuiting", "Duration of exploitation"),
    "time_since": Text("Tijd sinds de uitbuiting", "Time since the exploitation"),
    "perpetrator_relation": Text("Relatie tot pleger", "Perpetrator relation"),
    "perpetrator_relation_by_form": Text(
        "Relatie tot pleger per vorm van uitbuiting", "Perpetrator relation per form"
    ),
    "meeting": Text(
        "Hoe pleger en slachtoffer elkaar leerden kennen", "How perpetrator and victim met"
    ),
    "perpetrators_and_victims": Text(
        "Meerdere plegers en andere slachtoffers", "Multiple perpetrators and other victims"
    ),
    "coercion_means": Text("Dwangmiddelen", "Coercion means"),
    "criminal_acts": Text("Criminele activiteiten", "Criminal acts"),
    "client_knowledge": Text("Kennis van de klant", "Client knowledge"),
    "referral_source": Text("Verwijzer: hoe bij de chat gekomen", "Referral source"),
    "chat_language": Text("Taal van het gesprek", "Chat language"),
    "first_contact_month": Text(
        "Datum eerste gesprek chatter, per maand", "First conversation by month"
    ),
    "comparison": Text("Vergelijking met eerdere jaren", "Comparison with earlier years"),
}

CHAPTER_NOTE = Text(
    "Een bezoeker met meerdere vormen van uitbuiting telt mee in het hoofdstuk van elke vorm. "
    "Percentages over wie het gegeven bekend is; het aantal staat bij elke groep.",
    "A visitor with several forms of exploitation counts in the chapter of each form. "
    "Percentages over those for whom the item is known; each group states that number.",
)
CHAPTER_NOTE_ALONE = Text(
    "Alleen de bezoekers met uitsluitend deze vorm van uitbuiting (zo telt CKM enkele cijfers). "
    "Percentages over wie het gegeven bekend is; het aantal staat bij elke groep.",
    "Only the visitors with this form of exploitation alone (as CKM counts some figures). "
    "Percentages over those for whom the item is known; each group states that number.",
)
CHAPTER_VISITORS_ALONE = (
    Text("Bezoekers en slachtoffers", "Visitors and victims"),
    Text(
        "unieke bezoekers met alleen deze vorm (geen combinatie)",
        "unique visitors with this form alone (no combination)",
    ),
)
CHAPTER_VISITORS = (
    Text("Bezoekers en slachtoffers", "Visitors and victims"),
    Text(
        "unieke bezoekers met deze vorm (ook in combinatie)",
        "unique visitors with this form (also in combinations)",
    ),
)


def chapter_age(label_nl: str, label_en: str) -> tuple[Text, Text]:
    """The age group of a chapter: its label, and its denominator naming the chapter's form."""
    return (
        Text("Leeftijd slachtoffer", "Victim's age"),
        Text(
            f"unieke bezoekers ({label_nl.lower()}) van wie de leeftijd bekend is",
            f"unique visitors ({label_en.lower()}) whose age is known",
        ),
    )


SEVERAL = Text(
    "Meerdere antwoorden mogelijk: de percentages tellen niet op tot 100.",
    "Several answers possible: the percentages do not add up to 100.",
)
NOTES = {
    "pipeline": Text(
        "De totalen van de telling worden altijd getoond: ze beschrijven het proces, niet "
        "personen. Een persoon van wie alle gesprekken zijn uitgesloten, telt met de reden van "
        "het eerste uitgesloten gesprek.",
        "The pipeline totals are always shown: they describe the process, not people. A person "
        "all of whose conversations were excluded counts with the reason of the first one.",
    ),
    "duration": Text(
        "'Meerdere jaren' telt mee als langer dan 1 en langer dan 2 jaar, niet als langer dan 5.",
        "'Several years' counts as more than 1 and more than 2 years, not as more than 5.",
    ),
    "told_before": SEVERAL,
    "perpetrator_relation": SEVERAL,
    "perpetrator_relation_by_form": SEVERAL,
    "meeting": Text(
        "Niet gecodeerd als de pleger een familielid is. Platforms: meerdere antwoorden mogelijk.",
        "Not coded when the perpetrator is family. Platforms: several answers possible.",
    ),
    "coercion_means": SEVERAL,
    "criminal_acts": SEVERAL,
    "client_knowledge": SEVERAL,
    "referral_source": Text(
        "'Zorg en hulpverlening (totaal)' telt huisarts/psycholoog/maatschappelijk werker, De "
        "Kindertelefoon en niet nader genoemde hulpverlening samen.",
        "'Care services (total)' adds GP/psychologist/social worker, Kindertelefoon and "
        "unspecified care services.",
    ),
    "comparison": Text(
        "Elk jaar is met dezelfde telregels geteld, onder de codeboekeditie waaronder de meeste "
        "gesprekken van dat jaar zijn gecodeerd; gesprekken die niet onder die editie zijn "
        "gecodeerd, tellen als niet gecodeerd.",
        "Every year is counted with the same rules, under the codebook edition most of that "
        "year's conversations are coded in; conversations not coded under it count as not coded.",
    ),
}


def age_note(persons: int) -> Text:
    return Text(
        "Nooit een exacte jongste of oudste leeftijd: een grens is de dichtstbijzijnde vaste "
        f"leeftijd voorbij de jongste (oudste), zoals 'jonger dan 12' of 'ouder dan 65'; onder "
        f"de {persons} slachtoffers met een bekende leeftijd geen grenzen.",
        "Never an exact youngest or oldest age: a bound is the nearest fixed age beyond the "
        "youngest (oldest), such as 'younger than 12' or 'older than 65'; with fewer than "
        f"{persons} victims of known age, no bounds.",
    )


ALL = Text("Alle unieke bezoekers", "All unique visitors")
PER_FORM = Text("per vorm van uitbuiting", "per form of exploitation")

#: (table, group) → (label, denominator).
GROUPS: dict[tuple[str, str], tuple[Text, Text]] = {
    ("pipeline", "steps"): (
        Text("Van gesprekken naar unieke bezoekers", "From conversations to unique visitors"),
        Text("aantallen, geen percentages", "counts, no percentages"),
    ),
    ("pipeline", "excluded_conversations"): (
        Text("Uitgesloten gesprekken naar reden", "Excluded conversations by reason"),
        Text("uitgesloten gesprekken", "excluded conversations"),
    ),
    ("pipeline", "excluded_persons"): (
        Text("Uitgesloten personen naar reden", "Excluded persons by reason"),
        Text("uitgesloten personen", "excluded persons"),
    ),
    ("channel", "conversations"): (
        Text("Alle gesprekken", "All conversations"),
        Text(
            "alle gesprekken van het jaar met een hulpvraag mensenhandel, vóór dubbelingen en "
            "uitsluiting, waarvan het kanaal bekend is (zoals CKM het publiceert)",
            "every conversation of the year with a trafficking help question, before duplicates "
            "and exclusions, whose channel is known (as CKM publishes it)",
        ),
    ),
    ("channel", "visitors"): (
        Text("Unieke bezoekers", "Unique visitors"),
        Text(
            "unieke bezoekers van wie het kanaal bekend is (het kanaal van hun eerste gesprek)",
            "unique visitors whose channel is known (that of their first conversation)",
        ),
    ),
    ("channel", "partner_platforms"): (
        Text("Via een partnerplatform", "Via a partner platform"),
        Text(
            "gesprekken via een partnerplatform waarvan het platform bekend is",
            "conversations via a partner platform whose platform is known",
        ),
    ),
    ("exploitation_form", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie de vorm van uitbuiting bekend is",
            "unique visitors whose form of exploitation is known",
        ),
    ),
    ("exploitation_form", "first_concern"): (
        Text("Eerste zorg bij een combinatie", "Concern that came first (combinations)"),
        Text(
            "unieke bezoekers met meer dan één vorm, van wie bekend is wat eerst speelde",
            "unique visitors with more than one form for whom it is known which came first",
        ),
    ),
    ("chatter_background", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie de achtergrond bekend is",
            "unique visitors whose background is known",
        ),
    ),
    ("gender", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie het gender van het slachtoffer bekend is",
            "unique visitors whose victim's gender is known",
        ),
    ),
    ("gender", "per_form"): (
        PER_FORM,
        Text(
            "unieke bezoekers met deze vorm van wie het gender van het slachtoffer bekend is",
            "unique visitors with this form whose victim's gender is known",
        ),
    ),
    ("age", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie de leeftijd van het slachtoffer bekend is",
            "unique visitors whose victim's age is known",
        ),
    ),
    ("age", "minors"): (
        Text("Minderjarige slachtoffers", "Minor victims"),
        Text(
            "unieke bezoekers met een minderjarig slachtoffer (leeftijd bekend)",
            "unique visitors with a minor victim (age known)",
        ),
    ),
    ("age_bands", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie de leeftijd van het slachtoffer bekend is",
            "unique visitors whose victim's age is known",
        ),
    ),
    ("first_disclosure", "victim_chatters"): (
        Text("Slachtoffer-chatters", "Victim-chatters"),
        Text(
            "slachtoffer-chatters van wie bekend is of zij het voor het eerst vertelden",
            "victim-chatters for whom it is known whether it was their first disclosure",
        ),
    ),
    ("first_disclosure", "acutely_unsafe"): (
        Text("Acuut onveilige slachtoffer-chatters", "Acutely unsafe victim-chatters"),
        Text(
            "alle acuut onveilige slachtoffer-chatters, ook als onbekend is of zij het eerder "
            "vertelden",
            "all acutely unsafe victim-chatters, also when it is unknown whether they told "
            "anyone before",
        ),
    ),
    ("told_before", "victim_chatters"): (
        Text("Slachtoffer-chatters die het eerder vertelden", "Victim-chatters who told before"),
        Text(
            "slachtoffer-chatters voor wie het niet de eerste keer was, van wie bekend is aan "
            "wie zij het eerder vertelden",
            "victim-chatters for whom it was not the first disclosure and whom they told before "
            "is known",
        ),
    ),
    ("acutely_unsafe", "victim_chatters"): (
        Text("Slachtoffer-chatters", "Victim-chatters"),
        Text(
            "slachtoffer-chatters van wie bekend is of zij acuut onveilig zijn (nog in uitbuiting "
            "bij het eerste contact)",
            "victim-chatters for whom it is known whether they are acutely unsafe (still in "
            "exploitation at first contact)",
        ),
    ),
    ("referral_source", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie bekend is hoe zij bij de chat kwamen",
            "unique visitors for whom it is known how they found the chat",
        ),
    ),
    ("first_contact_month", "all"): (
        ALL,
        Text(
            "alle unieke bezoekers, naar de maand van hun eerste gesprek",
            "all unique visitors, by the month of their first conversation",
        ),
    ),
    ("chat_language", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie de taal bekend is",
            "unique visitors whose language is known",
        ),
    ),
    ("client_knowledge", "analysis"): (
        Text("Analyse klanten die het wisten", "Analysis of clients who knew"),
        Text(
            "gesprekken waaruit blijkt dat de klant wist dat het slachtoffer minderjarig of "
            "gedwongen was (duur langer dan 1 jaar: over die met bekende duur; ouders: over die "
            "met de uitbuiter aanwezig)",
            "conversations showing the client knew the victim was a minor or coerced (more than "
            "1 year: over those with a known duration; parents: over those with the trafficker "
            "present)",
        ),
    ),
    ("client_knowledge", "should_have_known"): (
        Text("Had het moeten weten (apart gehouden)", "Should have known (kept apart)"),
        Text(
            "gesprekken waarin de klant het volgens de onderzoekers had moeten weten, van wie de "
            "leeftijd bekend is",
            "conversations in which researchers judge the client should have known, with the "
            "victim's age known",
        ),
    ),
    ("time_since", "start"): (
        Text("Sinds het begin", "Since it started"),
        Text(
            "unieke bezoekers van wie bekend is hoe lang geleden de uitbuiting begon",
            "unique visitors for whom it is known how long ago the exploitation started",
        ),
    ),
    ("time_since", "end"): (
        Text("Sinds het einde", "Since it ended"),
        Text(
            "unieke bezoekers van wie bekend is hoe lang geleden de uitbuiting eindigde (of dat "
            "zij nog niet is geëindigd)",
            "unique visitors for whom it is known how long ago the exploitation ended (or that "
            "it has not ended)",
        ),
    ),
    ("coercion_means", "living_in"): (
        Text("Inwonend bij uitbuitende ouders", "Living in with exploiting parents"),
        Text(
            "unieke bezoekers die bij de pleger inwonen, van wie de relatie tot de pleger "
            "bekend is",
            "unique visitors living in with the perpetrator whose relation to them is known",
        ),
    ),
    ("acutely_unsafe", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie bekend is of het slachtoffer acuut onveilig is",
            "unique visitors for whom it is known whether the victim is acutely unsafe",
        ),
    ),
    ("duration", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie de duur van de uitbuiting bekend is",
            "unique visitors whose duration of exploitation is known",
        ),
    ),
    ("perpetrator_relation", "all"): (
        ALL,
        Text(
            "unieke bezoekers van wie de relatie tot de pleger bekend is",
            "unique visitors whose relation to the perpetrator is known",
        ),
    ),
    ("perpetrator_relation", "family"): (
        Text("Familielid-pleger", "Family perpetrator"),
        Text(
            "unieke bezoekers met een familielid als pleger, van wie bekend is welk familielid",
            "unique visitors with a family member as perpetrator for whom it is known which one",
        ),
    ),
    ("perpetrator_relation", "social_environment"): (
        Text("Pleger uit de sociale omgeving", "Perpetrator from the social environment"),
        Text(
            "unieke bezoekers met een pleger uit de sociale omgeving, van wie bekend is hoe",
            "unique visitors with a perpetrator from the social environment for whom it is "
            "known how",
        ),
    ),
    ("perpetrator_relation_by_form", "per_form"): (
        PER_FORM,
        Text(
            "unieke bezoekers met deze vorm van wie de relatie tot de pleger bekend is",
            "unique visitors with this form whose relation to the perpetrator is known",
        ),
    ),
    ("meeting", "channel"): (
        Text("Offline of online", "Offline or online"),
        Text(
            "unieke bezoekers van wie de pleger geen familielid is en van wie bekend is hoe zij "
            "elkaar leerden kennen",
            "unique visitors whose perpetrator is not family and for whom it is known how they met",
        ),
    ),
    ("meeting", "platforms"): (
        Text("Platforms", "Platforms"),
        Text(
            "unieke bezoekers die de pleger online leerden kennen, van wie het platform bekend is",
            "unique visitors who met the perpetrator online whose platform is known",
        ),
    ),
    ("perpetrators_and_victims", "multiple_perpetrators"): (
        Text("Meerdere plegers", "Multiple perpetrators"),
        Text(
            "unieke bezoekers van wie bekend is of er meerdere plegers zijn",
            "unique visitors for whom it is known whether there were several perpetrators",
        ),
    ),
    ("perpetrators_and_victims", "other_victims_known"): (
        Text("Andere slachtoffers bekend", "Other victims known"),
        Text(
            "unieke bezoekers van wie bekend is of zij andere slachtoffers kennen",
            "unique visitors for whom it is known whether they know other victims",
        ),
    ),
    ("perpetrators_and_victims", "both"): (
        Text("Beide", "Both"),
        Text(
            "unieke bezoekers van wie beide bekend zijn", "unique visitors for whom both are known"
        ),
    ),
    ("coercion_means", "at_least_one"): (
        Text("Minstens één dwangmiddel", "At least one coercion means"),
        Text(
            "alle unieke bezoekers: het codeboek kent geen antwoord 'geen dwangmiddel', dus dit "
            "is een ondergrens",
            "all unique visitors: the codebook has no answer 'no coercion means', so this is a "
            "lower bound",
        ),
    ),
    ("coercion_means", "means"): (
        Text("Per dwangmiddel", "Per coercion means"),
        Text(
            "unieke bezoekers met minstens één dwangmiddel",
            "unique visitors with at least one coercion means",
        ),
    ),
    ("coercion_means", "violence"): (
        Text("Vormen van geweld", "Forms of violence"),
        Text(
            "unieke bezoekers met geweld als dwangmiddel van wie de vorm bekend is",
            "unique visitors with violence as coercion means whose form is known",
        ),
    ),
    ("criminal_acts", "criminal_exploitation"): (
        Text("Criminele uitbuiting", "Criminal exploitation"),
        Text(
            "unieke bezoekers met criminele uitbuiting (ook in combinatie) van wie de "
            "activiteiten bekend zijn",
            "unique visitors with criminal exploitation (also in combinations) whose acts are "
            "known",
        ),
    ),
    ("client_knowledge", "knowledge"): (
        Text("Wist de klant het?", "Did the client know?"),
        Text(
            "klant-chatters van wie bekend is of zij wisten dat het slachtoffer minderjarig of "
            "gedwongen was",
            "client-chatters for whom it is known whether they knew the victim was a minor or "
            "coerced",
        ),
    ),
    ("client_knowledge", "indicators"): (
        Text("Indicatoren", "Indicators"),
        Text(
            "klant-chatters van wie de indicatoren bekend zijn",
            "client-chatters whose indicators are known",
        ),
    ),
    ("comparison", "per_year"): (
        Text("Jaar", "Year"),
        Text(
            "elk percentage over de bekende gevallen van dat jaar (n per regel)",
            "each percentage over that year's known cases (n per row)",
        ),
    ),
}

#: Rows the codebook does not name: (table, row) → label.
ROWS = {
    ("pipeline", "conversations"): Text(
        "Gesprekken met hulpvraag mensenhandel van bezoekers die dit jaar voor het eerst in "
        "beeld kwamen",
        "Conversations with a trafficking help question of visitors first seen this year",
    ),
    ("pipeline", "duplicates"): Text(
        "Dubbelingen gekoppeld (tweede en latere gesprekken van dezelfde persoon)",
        "Duplicates linked (second and later conversations of the same person)",
    ),
    ("pipeline", "persons"): Text("Personen", "Persons"),
    ("pipeline", "excluded_conversations"): Text(
        "Gesprekken uitgesloten bij review", "Conversations excluded on review"
    ),
    ("pipeline", "excluded_persons"): Text(
        "Personen uitgesloten (al hun gesprekken uitgesloten)",
        "Persons excluded (all their conversations excluded)",
    ),
    ("pipeline", "unique_visitors"): Text("Unieke bezoekers", "Unique visitors"),
    ("age", "youngest"): Text("Jongste", "Youngest"),
    ("age", "oldest"): Text("Oudste", "Oldest"),
    ("age", "mean"): Text("Gemiddelde leeftijd", "Mean age"),
    ("age", "median"): Text("Mediaan leeftijd", "Median age"),
    ("age", "minors"): Text("Minderjarig (jonger dan 18)", "Minors (under 18)"),
    ("age", "15_or_younger"): Text("15 jaar of jonger", "15 or younger"),
    ("age", "under_25"): Text("Jonger dan 25", "Under 25"),
    ("first_disclosure", "unknown"): Text("Onbekend / niet besproken", "Unknown / not discussed"),
    ("duration", "more_than_1_year"): Text("Langer dan 1 jaar", "More than 1 year"),
    ("duration", "more_than_2_years"): Text("Langer dan 2 jaar", "More than 2 years"),
    ("duration", "more_than_5_years"): Text("Langer dan 5 jaar", "More than 5 years"),
    ("perpetrator_relation", "parents"): Text("Ouders (totaal)", "Parents (total)"),
    ("perpetrators_and_victims", "both"): Text(
        "Meerdere plegers én andere slachtoffers", "Several perpetrators and other victims"
    ),
    ("perpetrators_and_victims", "not_both"): Text("Niet allebei", "Not both"),
    ("coercion_means", "at_least_one"): Text(
        "Minstens één dwangmiddel genoemd", "At least one coercion means mentioned"
    ),
    ("coercion_means", "mentions"): Text("Totaal aantal keer genoemd", "Total mentions"),
    ("coercion_means", "living_in_parents"): Text(
        "Woont bij en wordt uitgebuit door de ouder(s)", "Lives with and is exploited by parents"
    ),
    ("first_contact_month", "01"): Text("januari", "January"),
    ("first_contact_month", "02"): Text("februari", "February"),
    ("first_contact_month", "03"): Text("maart", "March"),
    ("first_contact_month", "04"): Text("april", "April"),
    ("first_contact_month", "05"): Text("mei", "May"),
    ("first_contact_month", "06"): Text("juni", "June"),
    ("first_contact_month", "07"): Text("juli", "July"),
    ("first_contact_month", "08"): Text("augustus", "August"),
    ("first_contact_month", "09"): Text("september", "September"),
    ("first_contact_month", "10"): Text("oktober", "October"),
    ("first_contact_month", "11"): Text("november", "November"),
    ("first_contact_month", "12"): Text("december", "December"),
    ("chapter", "visitors"): Text("Unieke bezoekers", "Unique visitors"),
    ("chapter", "victim_chatters"): Text(
        "van wie slachtoffer zelf (slachtoffer-chatters)", "of whom victims themselves"
    ),
    ("referral_source", "care"): Text("Zorg en hulpverlening (totaal)", "Care services (total)"),
    ("client_knowledge", "two_or_more_indicators"): Text(
        "Twee of meer indicatoren", "Two or more indicators"
    ),
    ("client_knowledge", "very_young"): Text(
        "Zeer jong slachtoffer (13 of jonger)", "Very young victim (13 or younger)"
    ),
    ("client_knowledge", "duration_known"): Text("Duur bekend", "Duration known"),
    ("client_knowledge", "duration_more_than_1_year"): Text(
        "Duur langer dan 1 jaar", "Duration more than 1 year"
    ),
    ("client_knowledge", "trafficker_present_parents"): Text(
        "Aanwezige uitbuiter is (stief)ouder", "Trafficker present is a (step)parent"
    ),
    ("client_knowledge", "knew_or_should_have_known"): Text(
        "Wist het of had het moeten weten", "Knew or should have known"
    ),
    ("client_knowledge", "knew"): Text(
        "Klant wist van minderjarigheid of dwang", "Client knew of minority or coercion"
    ),
    ("client_knowledge", "should_have_known"): Text("Had het moeten weten", "Should have known"),
    ("client_knowledge", "minors"): Text("Minderjarig slachtoffer", "Minor victim"),
    ("client_knowledge", "14_or_younger"): Text("14 jaar of jonger", "14 or younger"),
    ("comparison", "conversations"): Text("Gesprekken (telling)", "Conversations (pipeline)"),
    ("comparison", "unique_visitors"): Text("Unieke bezoekers", "Unique visitors"),
    ("comparison", "victim_chatters"): Text("Chatter is slachtoffer", "Chatter is the victim"),
    ("comparison", "minors"): Text("Slachtoffer minderjarig", "Victim is a minor"),
    ("comparison", "first_disclosures"): Text("Eerste keer verteld", "First disclosures"),
    ("comparison", "first_disclosures_acutely_unsafe"): Text(
        "van wie nog in uitbuiting", "of whom still in exploitation"
    ),
    ("comparison", "male"): Text("Man", "Male"),
    ("comparison", "male_sexual"): Text("Man, seksuele uitbuiting", "Male, sexual exploitation"),
    ("comparison", "acutely_unsafe"): Text("Acuut onveilig", "Acutely unsafe"),
}


def form_total(label_nl: str, label_en: str) -> Text:
    """A form of exploitation counted alone and in every combination."""
    return Text(
        f"{label_nl} (totaal, ook in combinatie)", f"{label_en} (total, also in combinations)"
    )


def form_alone(label_nl: str, label_en: str) -> Text:
    return Text(f"Alleen {_lower(label_nl)}", f"{label_en} only")


def form_combination(labels: list[tuple[str, str]]) -> Text:
    nl = " + ".join(_lower(label) for label, _ in labels)
    en = " + ".join(_lower(label) for _, label in labels)
    return Text(nl[:1].upper() + nl[1:], en[:1].upper() + en[1:])


def _lower(label: str) -> str:
    return label[:1].lower() + label[1:]


#: The report's chapters, in order, as CKM's report has them (a table's ``part``): how the year
#: was counted, who the visitors were, what stands out, a chapter per form of exploitation
#: (§3.1, §3.2), then the years before.
PARTS = {
    "counting": Text("Telling en kanaal", "Counting and channel"),
    "background": Text("Achtergrond van de bezoekers", "Background of the visitors"),
    "findings": Text("Wat opvalt", "Notable findings"),
    "form_sexual": Text("Seksuele uitbuiting", "Sexual exploitation"),
    "form_criminal": Text("Criminele uitbuiting", "Criminal exploitation"),
    "form_labour": Text("Arbeidsuitbuiting", "Labour exploitation"),
    "comparison": Text("Vergelijking met eerdere jaren", "Comparison with earlier years"),
}
#: The part of each table outside the chapters per form (those are ``form_<code>``).
PART_OF = {
    "pipeline": "counting",
    "channel": "counting",
    "exploitation_form": "background",
    "chatter_background": "background",
    "gender": "background",
    "age": "background",
    "age_bands": "background",
    "referral_source": "background",
    "chat_language": "background",
    "first_contact_month": "background",
    "first_disclosure": "findings",
    "told_before": "findings",
    "acutely_unsafe": "findings",
    "duration": "findings",
    "time_since": "findings",
    "perpetrator_relation": "findings",
    "perpetrator_relation_by_form": "findings",
    "meeting": "findings",
    "perpetrators_and_victims": "findings",
    "coercion_means": "findings",
    "client_knowledge": "form_sexual",
    "criminal_acts": "form_criminal",
    "comparison": "comparison",
}
#: The groups CKM draws as a figure, by table and group, with CKM's number: only these get a
#: chart. The main perpetrator's group is ``perpetrator_relation`` under ckm-2022.
FIGURES = {
    ("first_contact_month", "all"): Text(
        "Figuur 1. Datum eerste gesprek chatter", "Figure 1. First conversation of the chatter"
    ),
    ("exploitation_form", "all"): Text(
        "Figuur 2. Vorm van mensenhandel", "Figure 2. Form of exploitation"
    ),
    ("chatter_background", "all"): Text(
        "Figuur 3. Achtergrond chatter", "Figure 3. Chatter background"
    ),
    ("gender", "all"): Text("Figuur 4. Mensenhandel per gender", "Figure 4. Trafficking by gender"),
    ("coercion_means", "means"): Text("Figuur 6. Dwangmiddelen", "Figure 6. Coercion means"),
    ("chapter_sexual_alone", "time_since_start"): Text(
        "Figuur 9. Tijd sinds seksuele uitbuiting", "Figure 9. Time since sexual exploitation"
    ),
    ("chapter_sexual_alone", "duration"): Text(
        "Figuur 10. Duur seksuele uitbuiting", "Figure 10. Duration of sexual exploitation"
    ),
    **{
        ("chapter_sexual_alone", main): Text(
            "Figuur 11. Pleger seksuele uitbuiting", "Figure 11. Perpetrator, sexual exploitation"
        )
        for main in ("perpetrator_main", "perpetrator_relation")
    },
    ("chapter_criminal", "criminal_acts"): Text(
        "Figuur 12. Vormen van criminele uitbuiting", "Figure 12. Forms of criminal exploitation"
    ),
    **{
        ("chapter_criminal", main): Text(
            "Figuur 13. Pleger criminele uitbuiting",
            "Figure 13. Perpetrator, criminal exploitation",
        )
        for main in ("perpetrator_main", "perpetrator_relation")
    },
}
