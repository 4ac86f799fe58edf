"""Numbers in words or digits, and the death toll a sentence reports."""

from __future__ import annotations

import re
from functools import lru_cache

_UNITS = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "dozen": 12,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
_WORD = "|".join(sorted(list(_UNITS) + list(_SCALES), key=len, reverse=True))
# Words that may continue a run of number words: not the article "a"/"an", which only
# opens one ("a dozen"); otherwise "risen to four a[fter ...]" reads as 4 + 1.
_NEXT_WORD = "|".join(sorted(w for w in list(_UNITS) + list(_SCALES) if w not in ("a", "an")))
_NEXT_WORD = "|".join(sorted(_NEXT_WORD.split("|"), key=len, reverse=True))
# A number: digits (with thousands commas) or a run of number words ("twenty-five").
NUMBER = (
    rf"half[\s-]+a[\s-]+dozen|(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\s+(?:hundred|thousand|million))?"
    rf"|(?:(?:{_WORD})(?:[\s-]+(?:and\s+)?(?:{_NEXT_WORD})\b)*)"
)
_QUAL = (
    r"(?:(?:at\s+least|more\s+than|over|nearly|almost|about|around|some|up\s+to|"
    r"as\s+many\s+as|an\s+estimated|roughly|approximately|all|all\s+of\s+the)\s+)?"
)
_RANGE = rf"(?:\s*(?:-|to|or)\s*(?:{NUMBER}))?"
_NOUNS = r"(?:[a-z\-]+\s+){0,4}?"
# Words allowed between a number and "killed" ("13 foreign soldiers serving with UN forces").
_LONG_NOUNS = r"(?:[^\W\d_][\w\-()]*\s+){0,9}?"
_KILLED = (
    r"(?:were|was|have\s+been|had\s+been|are|been)?\s*"
    r"(?:reported\s+|confirmed\s+)?(?:killed|dead|died|slain|shot\s+dead|massacred|executed|martyred|"
    r"perished|lost\s+their\s+lives|(?:hacked|stabbed|beaten|burned|burnt|bludgeoned)\s+to\s+death)"
)
# Armed men, the only ones the military's euphemisms for killing are read for.
_ARMED = (
    r"(?:militants|jihadists|terrorists|insurgents|bandits|fighters|rebels|attackers|"
    r"assailants|gunmen|criminals|extremists|militiamen|combatants|elements)"
)
# "killing both men": two dead.
_BOTH = re.compile(
    r"\b(?:killing|killed|shot\s+dead)\s+(?P<n>both)\s+(?:men|women|people|soldiers|officers|"
    r"policemen|civilians|passengers|children|brothers|traders|of\s+them)\b",
    re.I,
)
# "shot dead a district administrator and his bodyguard": two dead.
_ONE_AND_COMPANION = re.compile(
    r"\b(?:killing|killed|shot\s+dead|gunned\s+down)\s+(?P<n>an?|one)\s+(?:[\w\-]+\s+){0,3}?and\s+"
    r"(?:his|her|their|an?)\s+(?:[\w\-]+\s+){0,2}?(?:bodyguard|driver|son|daughter|wife|husband|"
    r"brother|guard|aide|assistant|companion|escort|nephew|colleague|child)\b",
    re.I,
)
_TWO_DEAD = (_BOTH, _ONE_AND_COMPANION)
# One person, named by role: "killing a soldier", "killing the driver".
_ONE_PERSON = (
    r"(?:man|woman|boy|girl|child|soldier|policeman|officer|driver|"
    r"student|teenager|civilian|journalist|worker|farmer|person|protester|resident|"
    r"villager|guard|passenger|teacher|doctor|nurse|priest|imam|pilgrim|tourist|commander|"
    r"official|mayor|judge|politician|lawmaker|candidate|activist|leader|chief|agent|"
    r"member|worshipper|trader|businessman|cleric|councillor|prosecutor|shepherd|headman|"
    r"elder|pastor|herder|vendor|bystander|medic|paramedic|miner|fisherman|motorcyclist|"
    r"pilot|constable|patrolman|gendarme|ranger|militiaman|fighter|rebel|militant|"
    r"occupant|owner|shopkeeper|chairman|councilor|lecturer|engineer|contractor|head|"
    r"deputy|governor|administrator|sheikh|emir|groom|bride|bridegroom)"
)
_PATTERNS = [
    # "12 people, including three children, were killed": the clause is part of the 12.
    re.compile(
        rf"\b{_QUAL}(?P<n>{NUMBER}){_RANGE}\s+{_NOUNS}[a-z\-]+"
        rf"\s*,\s*(?:including|among them)\s[^,;.]{{1,60}},\s*{_KILLED}\b",
        re.I,
    ),
    # "between 30 and 40 civilians were killed": the lower bound.
    re.compile(
        rf"\bbetween\s+(?P<n>{NUMBER})\s+and\s+(?:{NUMBER})\s+{_LONG_NOUNS}{_KILLED}\b", re.I
    ),
    # "twelve people were killed", "at least 32 civilians were killed", "killing 12"
    re.compile(rf"\b{_QUAL}(?P<n>{NUMBER}){_RANGE}\s+{_LONG_NOUNS}{_KILLED}\b", re.I),
    re.compile(rf"\b(?:leaving|left)\s+{_QUAL}(?P<n>{NUMBER}){_RANGE}\s+{_NOUNS}dead\b", re.I),
    # "shot dead a 17-year-old driver", "killing a soldier": one death.
    re.compile(
        r"\b(?:killed|killing|shot\s+dead|gunned\s+down|stabbed\s+to\s+death)\s+(?P<n>a|an|one|the)\s+"
        rf"(?:[\w\-]+\s+){{0,3}}?{_ONE_PERSON}\b",
        re.I,
    ),
    # "gunmen killed Ulises Hernandez, a former police commander": one named person.
    re.compile(
        r"\b(?:killed|killing|shot\s+dead|gunned\s+down|assassinated|stabbed\s+to\s+death)\s+"
        r"(?-i:[A-Z][\w\-'\u2019]+(?:\s+[A-Z][\w\-'\u2019]+){1,3}),\s+(?P<n>a|an|one|the)\s+"
        rf"(?:[\w\-]+\s+){{0,3}}?{_ONE_PERSON}\b",
        re.I,
    ),
    # "a Palestinian man was shot dead": one death.
    re.compile(
        r"\b(?P<n>a|an|one)\s+(?:[\w\-]+\s+){0,3}?(?:man|woman|boy|girl|child|soldier|"
        r"policeman|officer|driver|student|teenager|civilian|journalist|worker|farmer|person|"
        r"protester|resident|villager|guard|passenger)(?:\s+who\s+[^,.;]{1,40}?)?\s+"
        r"(?:was|has\s+been|had\s+been)\s+"
        r"(?:shot\s+dead|killed|stabbed\s+to\s+death|beaten\s+to\s+death)\b",
        re.I,
    ),
    re.compile(rf"\bbeating\s+(?P<n>{NUMBER})\s+{_NOUNS}to\s+death\b", re.I),
    # "seized three men ... and beat them to death": the ones seized.
    re.compile(
        rf"\b(?:seized|caught|grabbed|dragged|captured|abducted|rounded\s+up)\s+{_QUAL}(?P<n>{NUMBER})\s+"
        r"[^.;]{0,80}?\band\s+(?:then\s+)?(?:beat|stoned|hacked|burned|burnt|lynched|killed|executed|"
        r"shot)\s+(?:them|all\s+of\s+them)\b(?!\s+(?:unconscious|up|badly|severely))",
        re.I,
    ),
    # "beat him to death", "stoned her to death": one person.
    re.compile(
        r"\b(?:beat|beaten|stoned|hacked|burned|burnt|lynched|stabbed|clubbed)\s+(?P<n>him|her)\s+"
        r"to\s+death\b",
        re.I,
    ),
    # "stoned and burned to death three men"
    re.compile(
        rf"\b(?:burned|burnt|stoned|hacked|beat|beaten|stabbed)\s+to\s+death\s+{_QUAL}(?P<n>{NUMBER})\b",
        re.I,
    ),
    # "killed between 20 and 25 villagers": the lower bound.
    re.compile(
        rf"\b(?:killing|killed|kills|kill|beheading|beheaded)\s+between\s+(?P<n>{NUMBER})"
        rf"\s+and\s+(?:{NUMBER})\b",
        re.I,
    ),
    re.compile(
        rf"\b(?:killing|killed|kills|kill|martyred|martyring|shot\s+dead|shooting\s+dead|"
        rf"(?:claimed|claiming|cost|costing)\s+the\s+lives\s+of|beheading|"
        rf"beheaded|executing|lynching|lynched|(?:gunned|gunning|mowed|mowing)\s+down|"
        rf"massacred|massacring)\s+"
        rf"{_QUAL}(?P<n>{NUMBER}){_RANGE}(?:\s+of)?(?:\s+(?!(?:hours|days|weeks|km|miles)\b)"
        rf"(?:{_NOUNS}(?:dead|people|civilians|soldiers|members|fighters|troops|"
        rf"policemen|officers|militants|rebels|children|women|men|villagers|students|"
        rf"protesters|persons|others|residents|worshippers|passengers|pupils|guards|"
        rf"gunmen|attackers|insurgents|jihadists|workers|tourists|of\s+the\s+\w+)|\b)"
        rf"|(?=\s*[,.;:)]|\s*$))",
        re.I,
    ),
    re.compile(rf"\b(?:massacre|killing|killings|deaths)\s+of\s+{_QUAL}(?P<n>{NUMBER})\b", re.I),
    # "claimed 46 lives", "took at least 12 lives", "cost 30 more lives"
    re.compile(
        rf"\b(?:claimed|claiming|claims|took|taking|cost|costing)\s+{_QUAL}(?P<n>{NUMBER})"
        r"\s+(?:more\s+|other\s+|civilian\s+|innocent\s+|human\s+)?lives\b",
        re.I,
    ),
    # "killed a family of five": the family's members.
    re.compile(
        rf"\b(?:killing|killed|kills|wiping\s+out|wiped\s+out)\s+(?:an?|the|all|an\s+entire|"
        rf"a\s+whole)\s+(?:[\w\-]+\s+)?family\s+of\s+(?P<n>{NUMBER})\b",
        re.I,
    ),
    re.compile(
        rf"\b(?:death\s+)?toll\s+(?:[\w'\u2019\-]+\s+){{0,16}}?(?:to|of|at)\s+{_QUAL}(?!an?\b)(?P<n>{NUMBER})",
        re.I,
    ),
    # The military's words for killing armed men: "neutralised 17 jihadists", "25
    # insurgents were eliminated". Only with armed men named: "eliminated from the cup".
    re.compile(
        rf"\b(?:neutrali[sz]ed|neutrali[sz]ing|eliminated|eliminating)[\"\u201d\u2019']?\s+"
        rf"{_QUAL}(?P<n>{NUMBER})\s+{_NOUNS}{_ARMED}\b",
        re.I,
    ),
    re.compile(
        rf"\b{_QUAL}(?P<n>{NUMBER})\s+{_NOUNS}{_ARMED}\s+(?:were|have\s+been|had\s+been)\s+"
        r"[\"\u201c\u2018']?(?:neutrali[sz]ed|eliminated)\b",
        re.I,
    ),
    # "caused 30 deaths", "police reported 14 deaths", "12 deaths were confirmed"
    re.compile(
        rf"\b(?:caused|causing|reported|reporting|confirmed|confirming|recorded|recording)\s+"
        rf"{_QUAL}(?P<n>{NUMBER})\s+(?:deaths|fatalities)\b",
        re.I,
    ),
    re.compile(
        rf"\b{_QUAL}(?P<n>{NUMBER})\s+(?:deaths|fatalities)\s+(?:were|have\s+been|had\s+been)\s+"
        r"(?:reported|confirmed|recorded)\b",
        re.I,
    ),
    # "put the toll at 42", "put the dead at 35", "51 bodies had been recovered"
    re.compile(
        rf"\bput\s+the\s+(?:death\s+toll|toll|dead|number\s+of\s+(?:the\s+)?(?:dead|deaths|"
        rf"(?:[\w\-]+\s+){{1,2}}?killed|victims))\s+at\s+{_QUAL}(?P<n>{NUMBER})",
        re.I,
    ),
    re.compile(
        rf"\b{_QUAL}(?P<n>{NUMBER})\s+bodies\s+(?:had\s+been|have\s+been|were|had\s+now\s+been)\s+"
        r"(?:recovered|found|retrieved|pulled)",
        re.I,
    ),
    # "rescuers recovered the bodies of six people", "residents counted 40 dead",
    # "villagers pulled 16 bodies from the river": the dead, counted after the act.
    re.compile(
        rf"\b(?:recovered|retrieved|pulled|found|counted|exhumed|discovered)\s+"
        rf"(?:[\w\-]+\s+){{0,3}}?{_QUAL}(?P<n>{NUMBER})\s+(?:more\s+)?(?:bodies|dead|corpses)\b",
        re.I,
    ),
    re.compile(rf"\bthe\s+bodies\s+of\s+{_QUAL}(?P<n>{NUMBER})\b", re.I),
    # Burials count the dead: "59 people had been buried", "residents buried 14 victims",
    # "a mass burial for 21 villagers".
    re.compile(
        rf"\b{_QUAL}(?P<n>{NUMBER})\s+{_NOUNS}(?:had\s+been|have\s+been|were|was)\s+"
        r"(?:\w+\s+)?buried\b",
        re.I,
    ),
    re.compile(
        rf"\b(?:buried|burying|burial\s+(?:of|for)|funerals?\s+(?:of|for))\s+(?:the\s+)?"
        rf"{_QUAL}(?P<n>{NUMBER})\s+(?:[\w\-]+\s+){{0,2}}?"
        rf"(?:victims|bodies|dead|people|villagers|civilians|soldiers|men|women|children|"
        rf"residents|worshippers|farmers|policemen|officers)\b",
        re.I,
    ),
    _BOTH,
    _ONE_AND_COMPANION,
]
# A toll that updates an earlier one ("by Wednesday the toll had reached 16"): the latest
# figure is the event's.
_TOLL_UPDATE = re.compile(
    rf"\b(?:(?:death\s+)?toll|number\s+of\s+(?:[\w\-]+\s+){{0,3}}?(?:dead|killed|deaths|"
    rf"fatalities|victims))\s+(?:[^.;]{{0,160}}?\s)?(?:had\s+|has\s+|later\s+)?(?:rose|risen|"
    rf"climbed|reached|increased|jumped|grew)\s+(?:to\s+)?{_QUAL}(?P<n>{NUMBER})"
    # "revised down the number of people killed in the bombing to 26", "bringing the
    # number of dead to seven": the verb before the count.
    # "police later raised the figure to nine", "raising the toll to 21".
    rf"|\b(?:revised\s+(?:up|down)(?:wards?)?|raised|raising|lowered|lowering|bringing|brought|"
    rf"taking|took|pushing|pushed)\s+"
    rf"(?:the\s+)?(?:(?:death\s+)?toll|figure|tally|count|number\s+of\s+(?:[\w\-]+\s+){{0,3}}?(?:dead|killed|deaths|"
    rf"fatalities|victims))\s+(?:[^.;]{{0,100}}?\s)?to\s+{_QUAL}(?P<n2>{NUMBER})"
    # "bringing to 15 the number of people killed": the count first; its scope is read
    # to the clause's end for a running total ("... in the area this month").
    rf"|\b(?:bring|brings|bringing|brought|taking|takes|took|raising|raises|raised)\s+to\s+"
    rf"{_QUAL}(?P<n3>{NUMBER})\s+the\s+(?:(?:death\s+)?toll|total|tally|number)\b[^.;]{{0,100}}",
    re.I,
)
# An update whose words span a period counts a running total of many events ("bringing
# the number of civilians killed in the city since May to 2,400"), not this event's toll.
_RUNNING_TOTAL = re.compile(
    r"\b(?:since|so\s+far|to\s+date|in\s+total|this\s+(?:year|month)|over\s+the\s+(?:past|last))\b",
    re.I,
)
# An earlier count given for contrast ("Officials had initially reported 21 dead"): not
# the latest figure.
_EARLIER_COUNT = re.compile(
    r"\b(?:initially|originally|previously)\b|\bhad\s+(?:first|earlier|put)\b|"
    r"\ban\s+earlier\s+(?:count|toll|figure|tally)\b",
    re.I,
)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec"
)
_CUMULATIVE = re.compile(
    r"^[^.;]{0,40}?\b(?:since|so far|in total|to date|this year|over the past)\b", re.I
)
# "since" after a superlative compares ("the deadliest attack since 2015"): no running total.
_SUPERLATIVE_SINCE = re.compile(r"\b(?:\w+est|worst|most\s+\w+)\s+(?:[\w\-]+\s+){0,2}since$", re.I)


def _running_total(rest: str) -> bool:
    """Whether the words after a toll make it a running total ("killed since the war
    began", "so far this year")."""
    m = _CUMULATIVE.match(rest)
    return m is not None and not _SUPERLATIVE_SINCE.search(m.group(0))


# A toll in the present perfect with a "since" anywhere after it counts a whole conflict.
_HAS_KILLED = re.compile(r"\b(?:has|have)\s+(?:now\s+)?(?:killed|left)\b", re.I)
_SINCE = re.compile(r"\bsince\b", re.I)
# "five soldiers and an unknown number of insurgents": the second group has no count.
_NO_COUNT = r"(?!\s+(?:unknown|undisclosed|unspecified|unconfirmed|undetermined)\s+number)"
# A source between two counts ends the first: "An army spokesman said two soldiers and six
# attackers were killed" counts 8, not the spokesman.
_SAID = r"(?:said|says|told|reported|added|confirmed)"
_TWO_GROUPS = re.compile(
    rf"\b{_QUAL}(?P<n>{NUMBER}|an?)\s+(?:(?!{_SAID}\b)[\w\-()]+\s+){{0,7}}?and\s+(?P<m>{NUMBER}|an?|the(?=\s+(?:[\w\-]+\s+){{0,2}}?{_ONE_PERSON}\b)){_NO_COUNT}\s+{_NOUNS}"
    rf"(?:[a-z\-]+(?:,[^,;.]{{1,40}},)?\s+)?(?:were|have\s+been|had\s+been)\s+(?:killed|martyred|shot\s+dead)\b",
    re.I,
)
# Nouns for people in a toll ("killing four officers and 12 gang members").
_PEOPLE = (
    r"(?:people|persons|civilians|soldiers|troops|officers|policemen|police\s+officers|"
    r"militants|rebels|fighters|members|villagers|children|women|men|man|woman|child|"
    r"soldier|officer|policeman|militant|rebel|fighter|member|villager|civilian|person|"
    r"guards?|commanders?|attackers?|insurgents?|gunmen|gunman|students?|workers?|"
    r"residents?|passengers?|protesters?|demonstrators?|others|teachers?|pupils?|"
    r"worshippers?|journalists?|farmers?|herders?|miners?|traders?|gendarmes?|guards?|"
    r"bodyguards?|aides?|sons?|daughters?|brothers?|relatives?|wives|wife|husbands?|"
    r"policemen|constables?|volunteers?|assailants?|jihadists?|infants?|boys?|girls?|"
    r"guests?|patients?|nurses?|doctors?|vigilantes?|fishermen|pilgrims?|militiamen|"
    r"shoppers?|customers?|mourners?|refugees?|migrants?|hostages?|prisoners?|inmates?|"
    r"detainees?|bystanders?|tourists?|employees?|staff|peacekeepers?|recruits?|"
    r"herdsmen|hunters?|drivers?|motorists?|pedestrians?|youths?|teenagers?|elders?|"
    r"chiefs?|priests?|imams?|clerics?|monks?|nuns?|babies|toddlers?|parents?|"
    r"siblings?|cousins?|nephews?|nieces?|combatants?|paramilitaries|gangsters?)"
)
# "The dead included two Turkish soldiers and nine PKK fighters": both groups died.
_DEAD_INCLUDED = re.compile(
    rf"\b(?:the\s+dead|those\s+killed|the\s+victims|the\s+fatalities)\s+(?:included|were)\s+"
    rf"{_QUAL}(?P<n>{NUMBER})\s+{_NOUNS}{_PEOPLE}\s+and\s+{_QUAL}(?P<m>{NUMBER}|an?)\s+{_NOUNS}"
    rf"{_PEOPLE}\b",
    re.I,
)
# A verb-first toll naming two groups: both died ("killing four officers and at least 12
# gang members", "leaving four rebels and a soldier dead").
# "a", "its" or "the" counts one when a role noun follows within two words ("a 72-year-old
# man", "its driver", "an ISIS commander").
_ONE_OF_ROLE = rf"\s+(?:[\w\-]+\s+){{0,2}}?{_ONE_PERSON}\b"
_VERB_TWO_GROUPS = re.compile(
    rf"\b(?:killing|killed|martyred|leaving|left|shot\s+dead|beheading|(?:claimed|claiming|cost|costing)"
    rf"\s+the\s+lives\s+of)\s+{_QUAL}(?P<n>{NUMBER}|(?:an?|its|the)(?={_ONE_OF_ROLE}))\s+"
    rf"(?:[\w\-]+\s+){{0,3}}?(?:{_PEOPLE}|{_ONE_PERSON})\s+and\s+{_QUAL}"
    # "his two sons", "two of his aides", "a woman aged 65", "their driver"
    rf"(?:(?:his|her|their|its)\s+(?=(?:{NUMBER})\s))?(?P<m>{NUMBER}|an?|their|his|her|its){_NO_COUNT}\s+"
    rf"(?:of\s+(?:his|her|their|its|the)\s+)?{_NOUNS}(?:{_PEOPLE}|{_ONE_PERSON}|vendor|"
    rf"driver|bystander|passer-by|child|teacher|journalist|trader|guard)"
    rf"(?P<dead>\s+dead)?\b",
    re.I,
)
# The other side's dead in a clause of their own: "killing 21 of them; two soldiers died
# in the fighting" (one clash: 23 dead).
# A source may open that clause when it reports them in the passive ("; the army said 11
# militants were killed in the ensuing firefight"): "the army said it killed 10 militants"
# is an operation of the army's own.
_SOURCE = r"(?:(?:the\s+|an?\s+)?(?:[\w\-]+\s+){1,3}?(?:said|says|added)\s+(?:that\s+)?)?"
_OTHER_SIDE = re.compile(
    rf"^[^.]{{0,40}}?(?:;|,\s+(?:and|while)|\band\b)\s+{_SOURCE}{_QUAL}(?P<m>{NUMBER})\s+{_NOUNS}"
    rf"{_PEOPLE}\s+(?:also\s+)?(?:died|were\s+killed|were\s+shot\s+dead|lost\s+their\s+lives)\b",
    re.I,
)
# More dead of the same event in a later clause, said with "also", "more" or "another"
# ("killing six militants ..., the military said; two soldiers also died", "killed 16
# people ..., and five more died of their injuries"): they add to the toll. The clause may
# sit further on than the other side's in _OTHER_SIDE, since the marker says it adds.
_MORE_SAME_EVENT = re.compile(
    rf"^[^.]{{0,120}}?(?:;|,\s+(?:and|while)|\band\b)\s+(?:another\s+|a\s+further\s+)?"
    rf"{_QUAL}(?P<m>{NUMBER}|an?(?=\s+{_ONE_PERSON}\s+was\b))\s+(?:more\s+)?(?:{_NOUNS}{_PEOPLE}\s+)?"
    rf"(?:also\s+|later\s+)?(?:died|(?:were|was)\s+(?:also\s+)?killed|"
    rf"(?:were|was)\s+(?:also\s+)?shot\s+dead|lost\s+their\s+lives)\b",
    re.I,
)
# The attackers shot in the same engagement ("killed five worshippers before soldiers
# arrived and shot dead three of the assailants"): dead of the event. Not when "later".
_ATTACKERS_SHOT = re.compile(
    rf"^(?:(?!\blater\b)[^.;]){{0,60}}?\band\s+(?:(?!later\b)\w+\s+){{0,2}}?(?:shot\s+dead|killed)\s+"
    rf"(?:all\s+)?{_QUAL}(?P<m>{NUMBER})\s+(?:of\s+(?:the|its|their)\s+)?(?:attackers|assailants|"
    r"gunmen|raiders)\b",
    re.I,
)
# The killers' own dead in the same clause ("troops killed 40 militants ... and lost three
# soldiers", "losing two of their own"): dead of the same fight.
_OWN_LOSSES = re.compile(
    rf"^[^.;]{{0,60}}?\b(?:and|while|but)\s+(?:lost|losing)\s+{_QUAL}(?P<m>{NUMBER})\s+"
    rf"(?:of\s+(?:their|its|his)\s+own\b|(?:of\s+(?:their|its|his)\s+)?{_NOUNS}{_PEOPLE}\b)",
    re.I,
)
_ADDS = re.compile(r"\b(?:also|more|another|further)\b", re.I)
# A count per place after the first ("killed 3 people in Maru and 4 in Tsafe"): one
# event's dead, summed (finish.py splits them by place when the event is split).
PER_PLACE_MORE = re.compile(
    rf"^\s+(?:in|at|near)\s+[^,.;]{{1,40}}?(?:,\s*|\s+and\s+|,\s+and\s+)(?:another\s+)?{_QUAL}"
    rf"(?P<m>{NUMBER})\s+(?:more\s+|others?\s+|people\s+)?(?:in|at|near)\b",
    re.I,
)
# One named person killed: "X, the mayor of Y, was shot dead" (a plural subject says "were").
_ONE_PASSIVE = re.compile(
    r"\b(?:was|has\s+been)\s+(?:shot\s+dead|killed|martyred|assassinated|gunned\s+down|"
    r"stabbed\s+to\s+death|beaten\s+to\s+death|beheaded|lynched|hacked\s+to\s+death)\b",
    re.I,
)
_NOT_PEOPLE = re.compile(
    r"\s*(?:%|percent\b|per cent\b|[ap]\.m\.|the\s+(?:number|toll|total|tally)\b|"
    r"(?:minutes|hours|days|weeks|months|years|km|"
    r"kilometres|kilometers|miles|metres|meters)\b)",
    re.I,
)
# A number's noun phrase that runs into a verb of its own ("seized 27 worshippers and
# killed two people"): the killing has its own object, so the number is not the toll.
_NEW_VERB = re.compile(
    r"\b(?:and|then|but|before|after)\s+(?:killed|shot\s+dead|massacred|executed)$", re.I
)
_VAGUE = re.compile(r"^(?:dozens|several|scores|hundreds|thousands|many|some)$", re.I)


# Deaths from what is not an act of violence: no toll of a political event. Only
# checked in the words around the toll, and only when no violent word is beside them.
_ACCIDENT = re.compile(
    r"\b(?:collapse[ds]?|crash(?:ed|es)?|floods?|flooding|earthquake|quake|landslides?|"
    r"storms?|cyclone|hurricane|typhoon|stampede|accidents?|outbreak|epidemic|cholera|"
    r"heatwave|drowned|derailment|capsized)\b",
    re.I,
)
_VIOLENT = re.compile(
    r"\b(?:attack\w*|bomb\w*|strikes?|struck|shell\w*|shot|shoot\w*|gun\w*|raid\w*|"
    r"clash\w*|fighting|explosi\w+|blast|militants?|rebels?|troops|soldiers|police|"
    r"drones?|missiles?|rockets?|ambush\w*|kill(?:ers?|ings?))\b",
    re.I,
)
# A year written this close to a toll dates it ("the 2021 massacre in which 53 died",
# "where 13 officers were killed in 2019"): another toll in the sentence is preferred.
_YEAR_NEAR = re.compile(r"\b(?:19|20)\d\d\b")
YEAR_REACH = 30
# How many characters around a toll are read for its cause.
CAUSE_WINDOW = 80


# A toll that counts a whole conflict, not one event: its subject or its scope is the
# war, the insurgency, a span of years ("The insurgency has killed more than 6,000
# people", "6,000 were killed in the war between 2012 and 2020", "blamed for the deaths of
# 6,000"). Read in the clause around the toll.
_CONFLICT_SCOPE_AFTER = re.compile(
    r"^[^.;]{0,80}?\b(?:since\s+(?:(?:19|20)\d\d|the\s+(?:start|beginning|outbreak)|"
    r"(?:january|february|march|april|may|june|july|august|september|october|november|"
    r"december)\b)|so\s+far|in\s+total|to\s+date|over\s+the\s+(?:past|last)|"
    r"in\s+the\s+(?:past|last)\s+(?:\w+\s+)?(?:years?|decades?|months)|in\s+recent\s+(?:years|months)|"
    r"between\s+(?:19|20)\d\d|(?:in|during)\s+the\s+(?:[\w\-]+\s+)?(?:conflict|war|insurgency|"
    r"uprising|crisis|campaign))\b",
    re.I,
)
_CONFLICT_SCOPE_BEFORE = re.compile(
    r"\b(?:(?:conflict|war|insurgency|uprising|crisis|campaign|violence)\s+(?:has|have|had)\s+"
    r"(?:now\s+)?(?:killed|left|claimed)|(?:blamed|responsible)\s+for\s+the\s+deaths|(?:past|last)\s+"
    r"(?:year|decade)|(?:this|last)\s+year\s+alone|in\s+recent\s+years)\b[^.;]{0,40}$",
    re.I,
)
_PERFECT = re.compile(
    r"\b(?:has|have|had)\s+(?:now\s+)?(?:been\s+)?(?:killed|died|left|claimed)\b", re.I
)


def a_whole_conflict(sentence: str, start: int, end: int) -> bool:
    """Whether the toll at ``start:end`` counts a conflict's dead over time."""
    upto = sentence[max(0, start - CAUSE_WINDOW) : end]
    if _CONFLICT_SCOPE_BEFORE.search(upto):
        return True
    spans_years = "between" in sentence[end : end + CAUSE_WINDOW].lower()
    return bool(_PERFECT.search(upto) or spans_years) and bool(
        _CONFLICT_SCOPE_AFTER.match(sentence[end:])
    )


def _accident(sentence: str, start: int, end: int) -> bool:
    """Whether the toll at ``start:end`` counts the dead of an accident or disaster
    ("the collapse of a railway canopy killed 16 people", "12 died when a bus crashed")."""
    around = sentence[max(0, start - CAUSE_WINDOW) : end + CAUSE_WINDOW]
    return bool(_ACCIDENT.search(around)) and not _VIOLENT.search(around)


_PEOPLE_WORD = re.compile(rf"\b{_PEOPLE}\b", re.I)


def _same_dead_again(first: str, other: re.Match[str]) -> bool:
    """Whether a clause with a source of its own counts the dead the first count counted
    ("the Taliban said they killed 10 soldiers; officials said four soldiers died"):
    another figure for the same people, not more dead."""
    said = re.search(rf"\b{_SAID}\b", other.group(0)[: other.start("m")], re.I)
    mine = _PEOPLE_WORD.findall(first)
    theirs = _PEOPLE_WORD.findall(other.group(0)[other.end("m") :])
    return bool(said and mine and theirs and mine[-1].lower() == theirs[0].lower())


def parse_number(text: str) -> int | None:
    """Value of "12", "1,200", "twelve", "twenty-five", "two hundred"; None if not a number."""
    t = text.strip().lower().replace(",", "")
    if t.isdigit():
        return int(t)
    parts = t.split()
    if len(parts) == 2 and parts[0].isdigit() and parts[1] in _SCALES:
        return int(parts[0]) * _SCALES[parts[1]]
    total = current = 0
    seen = False
    if t in ("half a dozen", "half-a-dozen"):
        return 6
    words = re.split(r"[\s-]+", t)
    if len(words) > 1 and words[0] in {"a", "an"}:
        words = words[1:]  # "a dozen", "a hundred"
    for word in words:
        if word == "and":
            continue
        if word == "dozen" and current:
            current *= 12  # "two dozen"
            seen = True
        elif word in _UNITS:
            current += _UNITS[word]
            seen = True
        elif word in _SCALES:
            current = max(current, 1) * _SCALES[word]
            if _SCALES[word] >= 1000:
                total, current = total + current, 0
            seen = True
        else:
            return None
    return total + current if seen else None


def _count(words: str) -> int | None:
    """A number, or 1 for "a"/"an" ("killing two officers and a street vendor")."""
    one = {"a", "an", "the", "their", "his", "her", "its"}
    return 1 if words.lower() in one else parse_number(words)


def find_fatalities(sentence: str) -> tuple[int, str] | None:
    """The first death toll the sentence gives, with the words it came from."""
    found = find_fatalities_at(sentence)
    return (found[0], found[1]) if found else None


_NONE_KILLED = re.compile(
    r"\bno\s+(?:one|body|casualties|deaths|injuries|fatalities)\s+(?:was|were)?\s*"
    r"(?:killed|hurt|injured|reported)|\bno\s+(?:casualties|deaths|injuries|fatalities)\b"
    r"|\b(?:nobody|no\s+one)\s+(?:was\s+)?(?:killed|hurt|injured|died)\b"
    # "none were killed", "none of them died"
    r"|\bnone\s+(?:of\s+(?:them|the\s+\w+)\s+)?(?:(?:was|were)\s+(?:killed|hurt|injured)|died)\b"
    r"|\bwithout\s+(?:causing\s+)?(?:any\s+)?(?:casualties|injuries|deaths)\b"
    r"|\bno\s+(?:immediate\s+)?reports?\s+of\s+(?:any\s+)?(?:casualties|deaths|injuries)\b",
    re.I,
)


@lru_cache(maxsize=2048)
def find_fatalities_at(sentence: str) -> tuple[int, str, int] | None:
    """Like :func:`find_fatalities`, plus the offset where the toll's words start.

    Wounded/injured figures are ignored; ranges give the lower bound; vague words
    ("dozens", "several") give nothing.
    """
    best: tuple[int, int, str] | None = None
    dated: tuple[int, int, str] | None = None
    for pat in _PATTERNS:
        for m in pat.finditer(sentence):
            words = m.group("n")
            if _VAGUE.match(words):
                continue
            value = 1 if words.lower() in {"a", "an", "the", "him", "her"} else parse_number(words)
            if pat in _TWO_DEAD:
                value = 2  # "both men", "a district administrator and his bodyguard"
            elif words.lower() in {"a", "an", "the"} and "(?P<n>a|an|one" not in pat.pattern:
                continue
            if _NEW_VERB.search(m.group(0)):
                continue  # "seized 27 worshippers and killed two": the 27 were not killed
            if value is None:
                continue
            if _NOT_PEOPLE.match(sentence[m.end("n") :]):
                continue  # "up to 60 percent of the population", "8 a.m."
            if re.search(r"\b(?:no|not|nobody|none)\s+$", sentence[: m.start("n")], re.I):
                continue  # "no one was killed": nobody (handled below as zero)
            if re.search(r"\b(?:several|few|many)\s+$", sentence[: m.start("n")], re.I) or (
                not words[:1].isdigit() and re.search(r"\bsome\s+$", sentence[: m.start("n")], re.I)
            ):
                continue  # "several dozen students were killed": no figure
            if re.search(rf"\b(?:{_MONTHS})\.?\s+$", sentence[: m.start("n")], re.I):
                continue  # "December 30 killed ..." is a date, not a toll
            between = sentence[m.start("n") : m.end()].lower()
            if re.search(r"\bamong\b", between):
                continue  # "ten women were among the dead": part of a larger toll
            if _running_total(sentence[m.end() :]) or (
                _HAS_KILLED.search(sentence[max(0, m.start() - 12) : m.end()])
                and _SINCE.search(sentence[m.end() :])
            ):
                continue  # "3,700 killed since the war began", "has killed 6,000 ... since"
            if a_whole_conflict(sentence, m.start(), m.end()):
                continue  # "The insurgency has killed more than 6,000 people"
            if re.search(r"\b(?:wounded|injured|hurt)\b", between):
                continue
            if _accident(sentence, m.start(), m.end()):
                continue  # "the collapse of a canopy killed 16 people": no act of violence
            if _YEAR_NEAR.search(sentence[max(0, m.start() - YEAR_REACH) : m.end() + YEAR_REACH]):
                if dated is None or m.start() < dated[0]:
                    dated = (m.start(), value, m.group(0).strip())
                continue  # "a 2019 massacre that killed 157": an earlier event's dead
            if best is None or m.start() < best[0] or (m.start() == best[0] and pat in _TWO_DEAD):
                best = (m.start(), value, m.group(0).strip())
    if best is None:
        best = dated
    both = _TWO_GROUPS.search(sentence)
    if both and (best is None or both.start() == best[0]):
        # "Nine soldiers and three civilians were killed", "A policeman and an activist
        # were killed": both groups died.
        first, second = _count(both.group("n")), _count(both.group("m"))
        if first is not None and second is not None:
            best = (both.start(), first + second, both.group(0).strip())
    listed = _DEAD_INCLUDED.search(sentence)
    if listed and best is None:
        first, second = parse_number(listed.group("n")), _count(listed.group("m"))
        if first is not None and second is not None:
            best = (listed.start(), first + second, listed.group(0).strip())
    two = _VERB_TWO_GROUPS.search(sentence)
    if two and (best is None or abs(two.start() - best[0]) <= len("killing ")):
        lead = two.group(0).split()[0].lower()
        first, second = _count(two.group("n")), _count(two.group("m"))
        if (
            first is not None
            and second is not None
            and (lead not in ("leaving", "left") or two.group("dead"))
        ):
            best = (two.start(), first + second, two.group(0).strip())
    listed_dead = listed_toll(sentence)
    if listed_dead is not None and (best is None or listed_dead[2] <= best[0]):
        best = (listed_dead[2], listed_dead[0], listed_dead[1])
    update = _TOLL_UPDATE.search(sentence)
    if update is not None and _RUNNING_TOTAL.search(update.group(0)):
        update = None  # "raising the number killed in the city since May to 2,400"
    if update is not None and (best is None or update.start() > best[0] or best[1] == 0):
        later = parse_number(update.group("n") or update.group("n2") or update.group("n3"))
        if later is not None:
            best = (update.start(), later, update.group(0).strip())
    if best is not None:
        toll_end = best[0] + len(best[2])
        other = _OTHER_SIDE.match(sentence[toll_end:])
        if other is None:
            other = _MORE_SAME_EVENT.match(sentence[toll_end:])
            if other is not None and not _ADDS.search(other.group(0)[other.start("m") :]):
                other = None
        if other is None:
            other = PER_PLACE_MORE.match(sentence[toll_end:])
        if other is None:
            other = _ATTACKERS_SHOT.match(sentence[toll_end:])
        if other is None:
            other = _OWN_LOSSES.match(sentence[toll_end:])
        more = parse_number(other.group("m")) if other else None
        if other and more is not None:
            total = best[1] + more
            if _same_dead_again(best[2], other):
                total = min(best[1], more)  # two sources' figures: the smaller (ACLED)
            best = (best[0], total, sentence[best[0] : toll_end + other.end()])
    if best is None:
        one = _ONE_PASSIVE.search(sentence)
        if one and not re.search(
            r"\b(?:no\s+one|nobody|none|not|never|who)\b[^,.;]{0,20}$",
            sentence[: one.start()],
            re.I,
        ):
            return 1, one.group(0), one.start()
    if best is None:
        none = _NONE_KILLED.search(sentence)
        if none:
            return 0, none.group(0), none.start()  # "no injuries were reported": nobody died
    return (best[1], best[2], best[0]) if best else None


def sentence_tolls(sentence: str) -> list[tuple[int, str, int]]:
    """Every toll the sentence gives, in order, each as :func:`find_fatalities_at` reads
    it from where the one before ends ("shelling killed three children in Taiz, and nine
    fighters died in Marib": 3 and 9)."""
    out: list[tuple[int, str, int]] = []
    pos = 0
    while pos < len(sentence):
        found = find_fatalities_at(sentence[pos:])
        if found is None or (found[0] == 0 and out):
            break
        value, words, at = found
        out.append((value, words, pos + at))
        pos += at + max(len(words), 1)
    return out


# The verb of a listed subject's death: "..., were killed", "were, according to the army,
# killed", "are confirmed to have been killed", "died".
_LIST_VERB = re.compile(
    r"\b(?:(?:were|are|have\s+been|had\s+been)(?:,\s[^,.;]{1,60},)?\s+(?:(?:reported|confirmed|"
    r"later|all|also)\s+){0,2}(?:to\s+have\s+been\s+)?(?:killed|martyred|shot\s+dead|slain|executed|"
    r"(?:hacked|stabbed|beaten|burned)\s+to\s+death)|died|perished|lost\s+their\s+lives)\b",
    re.I,
)
# Where a subject starts: the sentence, or after a colon, semicolon or "said (that)".
_SUBJECT_START = re.compile(r"(?:^|[;:]\s+|\bsaid\s+(?:that\s+)?|\bthat\s+)", re.I)
# An aside set off by dashes ("Eight civilians - a teacher, two traders ... - were").
_DASHED = re.compile(r"\s[-\u2013\u2014]\s[^-\u2013\u2014]{1,160}\s[-\u2013\u2014]\s")
# An item of a listed subject that only details the others ("among them a general").
_SUBSET = re.compile(r"^(?:among\s+them|including|most\s+of\s+them|many\s+of\s+them)\b", re.I)
# "another two people": more dead of the same list ("Four bodies were pulled ..., and
# another two people died").
_ITEM_COUNT = re.compile(
    rf"^(?:and\s+)?(?:another\s+|a\s+further\s+)?{_QUAL}(?P<n>{NUMBER}|an?|his|her|their|"
    rf"the(?=\s+(?:[\w\-]+\s+){{0,2}}?{_ONE_PERSON}\b)){_NO_COUNT}(?:\s+[\w\-]|\s*$)",
    re.I,
)
# The wounded of a subject that lists both ("Nine passengers were wounded and two died"):
# the dead are counted after it.
_WOUNDED_CLAUSE = re.compile(
    r"\b(?:were|was|are|had\s+been|have\s+been)\s+(?:\w+\s+)?(?:wounded|injured|hurt)\b", re.I
)
_UNKNOWN_COUNT = re.compile(
    r"^(?:an?\s+)?(?:unknown|undisclosed|unspecified|unconfirmed|undetermined)\s+number\b", re.I
)
# A listed subject longer than this is not one noun phrase.
LIST_SUBJECT_MAX = 220


def listed_toll(sentence: str) -> tuple[int, str, int] | None:
    """The dead of a subject that lists them before a passive verb: "Five aid workers, two
    of their drivers and a security guard were killed" (8), "One crew member and at least
    27 soldiers, among them a general, were killed" (28)."""
    verb = _LIST_VERB.search(sentence)
    if verb is None or _running_total(sentence[verb.end() :]):
        return None
    if a_whole_conflict(sentence, verb.start(), verb.end()):
        return None  # "More than 6,000 people have been killed in the insurgency"
    if re.match(r"(?:have|has)\b", verb.group(0), re.I) and _SINCE.search(sentence[verb.end() :]):
        return None  # "2,000 people have been killed in the province since January"
    start = max((m.end() for m in _SUBJECT_START.finditer(sentence, 0, verb.start())), default=0)
    hurt = list(_WOUNDED_CLAUSE.finditer(sentence, start, verb.start()))
    if hurt:
        start = hurt[-1].end()
    subject = sentence[start : verb.start()]
    if not subject.strip() or len(subject) > LIST_SUBJECT_MAX:
        return None
    plain = re.sub(r"^\s*and\s+", "", _DASHED.sub(" ", subject))
    total, counted = 0, 0
    for i, item in enumerate(re.split(r",(?!\d{3})\s*|\s+and\s+", plain)):
        item = item.strip()
        if _SUBSET.match(item):
            break
        if _UNKNOWN_COUNT.match(item):
            continue  # "an unknown number of insurgents": dead, but no figure to add
        m = _ITEM_COUNT.match(item)
        if m is None and i == 0:
            return None  # the subject does not open with a count: not a list of the dead
        if m is None:
            continue  # an aside: "who had been travelling since dawn", "Arauca"
        if _VAGUE.match(m.group("n")) or _NOT_PEOPLE.match(item[m.end("n") :]):
            return None
        value = _count(m.group("n"))
        if value is None:
            return None
        total, counted = total + value, counted + 1
    if not counted:
        return None
    return total, sentence[start : verb.end()].strip(), start


def updates_toll(words: str, sentence: str = "") -> bool:
    """Whether toll words revise an earlier figure ("the toll rose to 15", "51 bodies had
    been recovered", "put the toll at 42"): the latest figure is the event's. Not when the
    sentence gives it as the earlier count ("had initially said 53 bodies ...")."""
    if _EARLIER_COUNT.search(sentence):
        return False
    return bool(
        _TOLL_UPDATE.search(words)
        or re.search(r"\bbodies\b|\bput\s+the\b|\bburied\b", words, re.I)
        or _TOLL_NOW.search(words)
        or (_BY_THEN.match(sentence) and _PERFECT_DEAD.search(words))
    )


# The toll as the subject of a later sentence ("The death toll stood at 41", "the toll
# now stands at 12", "revised the toll down to 17"): the figure told last.
_TOLL_NOW = re.compile(r"\btoll\b[^.;]{0,60}?\b(?:at|to)\s", re.I)
# A count of the dead by a later time ("By Tuesday, 41 people had died"): the figure so far.
_BY_THEN = re.compile(r"^\W*by\s+(?:[\w\-]+\s+){0,3}?[\w\-]+\s*,", re.I)
_PERFECT_DEAD = re.compile(
    r"\b(?:had|have|has)\s+(?:now\s+)?(?:been\s+)?(?:killed|died|confirmed)", re.I
)
# A figure revised downwards replaces the larger one told before it.
TOLL_DOWN = re.compile(r"\b(?:revised|revising|lowered|lowering|corrected|down(?:wards?)?)\b", re.I)
