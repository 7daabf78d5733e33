"""Transparent cue lexicons used beside the trained intent models.

Each cue is a regular expression over the *normalized* text (lower-case, ``<url>``, ``@user``); its
name is what explanations show. They were written by the team from the intent definitions, not learned.
"""

from __future__ import annotations

from typing import Any

import ahocorasick
import regex

Cue = tuple[str, "regex.Pattern[str]"]

# Trigger substrings per cue list: every match of every cue in the list contains at least one of them.
# One Aho-Corasick pass over the text finds which lists can fire at all; most posts trigger none or one,
# so the regular expressions run on few posts (tests check that each cue's examples still fire).
_TRIGGERS: dict[int, tuple[str, ...]] = {}
_AUTOMATON: Any = None


def _cues(pairs: list[tuple[str, str]], triggers: tuple[str, ...] = ()) -> list[Cue]:
    cues = [(name, regex.compile(pattern)) for name, pattern in pairs]
    if triggers:
        _TRIGGERS[id(cues)] = triggers
    return cues


def _automaton() -> Any:
    global _AUTOMATON
    if _AUTOMATON is None:
        automaton = ahocorasick.Automaton()
        owners: dict[str, set[int]] = {}
        for list_id, words in _TRIGGERS.items():
            for word in words:
                owners.setdefault(word, set()).add(list_id)
        for word, ids in owners.items():
            automaton.add_word(word, frozenset(ids))
        automaton.make_automaton()
        _AUTOMATON = automaton
    return _AUTOMATON


def triggered(text: str) -> frozenset[int]:
    """Ids of the gated cue lists whose trigger words occur in the normalized text."""
    found: set[int] = set()
    for _, ids in _automaton().iter(text):
        found.update(ids)
    return frozenset(found)


# Emergency / self-harm risk: explicit statements. Recall first: a false alarm costs a look, a miss costs more.
EMERGENCY: list[Cue] = _cues(
    [
        (
            "suicidal statement",
            r"\b(?:kill(?:ing)?|hang(?:ing)?|shoot(?:ing)?) my ?self\b|\bend(?:ing)? (?:my|it all|my own) ?li(?:fe|ves)\b|\btake my (?:own )?life\b",
        ),
        (
            "wish to die",
            r"\b(?:want|wanna|wish|going|ready|deserve) (?:to )?(?:die|be dead|not (?:be )?(?:here|alive|exist))\b|\bbetter off dead\b|\bno reason to live\b|\bdon'?t want to (?:live|be alive|wake up)\b",
        ),
        ("suicide", r"\bsuicid(?:e|al)\b(?! (?:bomb|attack|squad|vest|car))"),
        (
            "self-harm",
            r"\bself[- ]?harm(?:ing)?\b|\bcut(?:ting)? my ?self\b|\bhurt(?:ing)? my ?self\b|\bburn(?:ing)? my ?self\b",
        ),
        (
            "overdose",
            r"\boverdos(?:e|ed|ing)\b|\bod'd\b|\btook (?:all|a bunch of|too many) (?:my |the |of my )?(?:pills|tablets|meds)\b",
        ),
        (
            "cannot go on",
            r"\bcan'?t (?:go on|take (?:it|this) anymore|do this anymore)\b|\bgoodbye (?:everyone|world|forever)\b",
        ),
        (
            "medical emergency",
            r"\b(?:can'?t|cannot|unable to|struggling to) breathe?\b|\bnot breathing\b|\bchest pains?\b|\bhaving a (?:heart attack|stroke|seizure)\b|\bunconscious\b|\bunresponsive\b|\bbleeding (?:heavily|badly|out|a lot)\b",
        ),
        (
            "emergency number",
            r"\b(?:call(?:ed|ing)?|dial(?:led|ing)?) (?:911|999|112|an ambulance)\b|\bneed an ambulance\b|\bambulance (?:now|asap)\b",
        ),
    ],
    triggers=(
        "self",
        "life",
        "lives",
        "die",
        "dead",
        "here",
        "alive",
        "exist",
        "live",
        "wake up",
        "suicid",
        "harm",
        "overdos",
        "od'd",
        "pills",
        "tablets",
        "meds",
        "go on",
        "anymore",
        "goodbye",
        "breath",
        "chest pain",
        "heart attack",
        "stroke",
        "seizure",
        "unconscious",
        "unresponsive",
        "bleeding",
        "911",
        "999",
        "112",
        "ambulance",
    ),
)

# Misinformation: claim patterns typical of health misinformation. There is no permissively licensed
# training set, so this is a cue list; its measured precision/recall on CONSTRAINT dev is in docs/enrichment.md.
MISINFORMATION: list[Cue] = _cues(
    [
        (
            "miracle cure claim",
            r"\b(?:miracle|secret|natural|instant|guaranteed) (?:cure|remedy|treatment)\b|\bcures? (?:cancer|covid|coronavirus|diabetes|autism|aids|hiv)\b|\b(?:kills|destroys|prevents) (?:the )?(?:corona)?virus\b",
        ),
        (
            "vaccine harm claim",
            r"\bvaccines? (?:cause|causes|caused|causing) (?:autism|infertility|death|cancer|covid)\b|\bvaccines? (?:kill|killed|is poison|are poison)\b|\b(?:microchip|tracking chip|nanochip)s?\b|\bmagnet(?:ic|ised|ized)\b|\bchanges? (?:your )?dna\b",
        ),
        (
            "conspiracy framing",
            r"\b(?:plandemic|scamdemic|hoax|cover[- ]?up|bioweapon|depopulation|big pharma|they don'?t want you to know|mainstream media (?:won'?t|will not)|wake up sheeple|sheeple|do your own research)\b",
        ),
        (
            "5g claim",
            r"\b5g\b.{0,40}\b(?:virus|covid|corona|cause|spread|radiation|sick)|\b(?:virus|covid|corona)\b.{0,40}\b5g\b",
        ),
        (
            "quack remedy",
            r"\b(?:drink(?:ing)?|gargl(?:e|ing)) (?:bleach|hot water|salt water|garlic|vinegar)\b|\b(?:bleach|mms|chlorine dioxide|colloidal silver|ivermectin|hydroxychloroquine) (?:cures?|kills|prevents|works)\b",
        ),
        (
            "fabricated authority",
            r"\b(?:who|cdc|nhs|doctors?|scientists?) (?:admits?|confirms?|secretly|finally admit)\b|\bleaked (?:memo|document|video)\b",
        ),
        (
            "origin conspiracy",
            r"\b(?:lab[- ]?made|man[- ]?made|made in a lab|engineered|created in a lab|leaked from (?:a |the )?lab"
            r"|bill gates|gates foundation|new world order|george soros|deep state)\b",
        ),
        (
            "denial claim",
            r"\b(?:covid|coronavirus|corona|the virus|pandemic)(?:-19)? (?:is|was) (?:a )?(?:hoax|fake|lie|scam"
            r"|just (?:a |the )?(?:flu|cold))\b|\bmasks? (?:don'?t|do not) work\b|\bmasks? (?:cause|causes) \w+"
            r"|\bno such thing as (?:covid|the virus)\b",
        ),
        (
            "viral share bait",
            r"\b(?:share (?:before|this before) (?:it'?s|they) (?:deleted|remove)|forward (?:this|to everyone)|breaking ?: ?(?:china|bill gates|government))\b",
        ),
    ],
    triggers=(
        "cure",
        "remed",
        "treatment",
        "virus",
        "vaccine",
        "chip",
        "magnet",
        "dna",
        "plandemic",
        "scamdemic",
        "hoax",
        "cover",
        "bioweapon",
        "depopulation",
        "big pharma",
        "want you to know",
        "mainstream media",
        "sheeple",
        "own research",
        "5g",
        "drink",
        "gargl",
        "bleach",
        "mms",
        "chlorine",
        "silver",
        "ivermectin",
        "hydroxychloroquine",
        "admit",
        "confirm",
        "secretly",
        "leaked",
        "share",
        "forward",
        "breaking",
        "lab",
        "made",
        "engineered",
        "gates",
        "world order",
        "soros",
        "deep state",
        "fake",
        "lie",
        "scam",
        "flu",
        "cold",
        "mask",
        "no such thing",
    ),
)

QUESTION: list[Cue] = _cues(
    [
        ("question mark", r"\?"),
        (
            "asks for help",
            r"\b(?:does|do|can|could|would|will|should) (?:anyone|anybody|someone|somebody|you|i|we)\b|\banyone know\b|\bany (?:advice|tips|recommendations|idea)\b|\bwondering (?:if|whether|how|what|why)\b",
        ),
        (
            "interrogative opening",
            r"^(?:@user )*(?:who|what|when|where|why|how|which|is|are|can|could|does|do|did|should|will|would|has|have)\b[^.!]{3,}$",
        ),
    ]
)

APPOINTMENT: list[Cue] = _cues(
    [
        (
            "booking",
            r"\b(?:book|booking|schedule|scheduling|reschedule|rebook|cancel|make|get|got|need|needs|request(?:ing)?) (?:an? |my |the |our )?(?:appointment|appt|consultation|check[- ]?up|visit|slot)\b",
        ),
        (
            "waiting for appointment",
            r"\b(?:waiting|waited|wait) (?:\w+ ){0,4}(?:appointment|appt|referral|callback|call back|to be seen)\b",
        ),
        (
            "cannot get through",
            r"\bcan'?t get (?:through|an appointment|seen|a slot)\b|\bon hold for\b|\bno one (?:answers|picks up)\b|\bphone lines?\b|\bcall back\b",
        ),
        (
            "access to care",
            r"\b(?:waiting list|wait list|waitlist|referral|walk[- ]in|opening hours|out of hours|same[- ]day appointment)\b",
        ),
    ],
    triggers=(
        "appointment",
        "appt",
        "consultation",
        "check",
        "visit",
        "slot",
        "referral",
        "callback",
        "call back",
        "to be seen",
        "get through",
        "get seen",
        "get a slot",
        "on hold",
        "no one",
        "phone line",
        "wait list",
        "waiting list",
        "waitlist",
        "walk",
        "opening hours",
        "out of hours",
        "same day",
        "same-day",
    ),
)

COMPLAINT: list[Cue] = _cues(
    [
        (
            "dissatisfaction",
            r"\b(?:worst|terrible|awful|horrible|appalling|disgusting|disgraceful|unacceptable|rude|useless|incompetent|ridiculous|pathetic)\b",
        ),
        (
            "still waiting",
            r"\bstill (?:waiting|no|not|hasn'?t|haven'?t)\b|\bnever (?:called|arrived|came|got|received|answered)\b|\b(?:hours?|days?|weeks?|months?) (?:late|waiting|on hold)\b",
        ),
        (
            "formal complaint",
            r"\b(?:complain(?:t|ed|ing)?|refund|compensation|let down|fed up|sort (?:it|this) out|not good enough|shame on)\b",
        ),
    ],
    triggers=(
        "worst",
        "terrible",
        "awful",
        "horrible",
        "appalling",
        "disgusting",
        "disgraceful",
        "unacceptable",
        "rude",
        "useless",
        "incompetent",
        "ridiculous",
        "pathetic",
        "still",
        "never",
        "late",
        "waiting",
        "on hold",
        "complain",
        "refund",
        "compensation",
        "let down",
        "fed up",
        "sort",
        "not good enough",
        "shame on",
    ),
)

PRAISE: list[Cue] = _cues(
    [
        ("thanks", r"\b(?:thank(?:s| you)|grateful|gratitude|thankful|appreciate(?:d)?|kudos|shout ?out)\b"),
        (
            "praise words",
            r"\b(?:amazing|excellent|brilliant|outstanding|fantastic|wonderful|superb|exceptional|lovely|kind|caring|professional|helpful|friendly) (?:staff|team|nurses?|doctors?|care|service|people|crew|paramedics?)\b|\b(?:staff|team|nurses?|doctors?|care|service|paramedics?) (?:was|were|are|is) (?:amazing|excellent|brilliant|outstanding|fantastic|wonderful|superb|great|lovely|kind|so kind|caring|helpful)\b",
        ),
    ],
    triggers=(
        "thank",
        "grateful",
        "gratitude",
        "appreciate",
        "kudos",
        "shout",
        "staff",
        "team",
        "nurse",
        "doctor",
        "care",
        "service",
        "people",
        "crew",
        "paramedic",
    ),
)

ADVERSE_DRUG_EVENT: list[Cue] = _cues(
    [
        (
            "side effect mention",
            r"\bside[- ]?effects?\b|\badverse (?:reaction|effect|event)s?\b|\breaction to (?:the |my )?(?:vaccine|jab|shot|medication|meds|drug|pill)s?\b",
        ),
        (
            "since starting",
            r"\b(?:since|after) (?:starting|taking|i started|i took|the (?:vaccine|jab|shot|dose))\b.{0,60}\b(?:pain|rash|nause\w*|dizz\w*|headache|tired|fatigue|insomnia|swelling|sick|vomit\w*|weight)\b",
        ),
        ("withdrawal", r"\bwithdrawals?\b|\bcoming off (?:the )?(?:meds|medication|pills)\b|\bbrain zaps?\b"),
    ],
    triggers=(
        "side",
        "adverse",
        "reaction to",
        "starting",
        "taking",
        "started",
        "took",
        "vaccine",
        "jab",
        "shot",
        "dose",
        "withdrawal",
        "coming off",
        "brain zap",
    ),
)


def gate_of(cues: list[Cue]) -> int | None:
    """The id that :func:`triggered` reports when the list can fire; None when the list has no trigger words."""
    return id(cues) if id(cues) in _TRIGGERS else None


def matches(cues: list[Cue], text: str, gates: frozenset[int] | None = None) -> list[str]:
    """Names of the cues that fire on the normalized text.

    ``gates`` is :func:`triggered` of the same text, computed once for all lists; without it the trigger
    check is done here.
    """
    list_id = id(cues)
    if list_id in _TRIGGERS:
        if gates is None:
            gates = triggered(text)
        if list_id not in gates:
            return []
    return [name for name, pattern in cues if pattern.search(text)]
