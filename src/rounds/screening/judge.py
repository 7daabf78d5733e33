"""Post-level judgment: patient linkage, relationship confirmation, the quasi-identifier score, policy rules,
and the verdict that follows from them. Pure functions of the text, its findings and the thread context."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rounds.domain.screening import Finding, Kind, Policy, RuleMode, SpanType, Verdict
from rounds.screening.base import finding
from rounds.screening.gate import ALWAYS, CuePattern, cue_pattern, scan
from rounds.screening.temporal import age_value

_I = re.IGNORECASE
COMPONENT = "judge.post.v1"
POLICY_COMPONENT = "policy.rules.v1"

DIRECT_TYPES = frozenset(
    {
        SpanType.NAME,
        SpanType.HANDLE,
        SpanType.PHONE,
        SpanType.FAX,
        SpanType.EMAIL,
        SpanType.URL,
        SpanType.IP,
        SpanType.SSN,
        SpanType.MRN,
        SpanType.HEALTH_PLAN,
        SpanType.ACCOUNT,
        SpanType.LICENSE,
        SpanType.VEHICLE,
        SpanType.DEVICE,
        SpanType.OTHER_ID,
        SpanType.BIOMETRIC,
    }
)
# Quasi-identifier weights (docs/screening.md). A score of 2 or more identifies a patient.
QUASI_WEIGHTS = {
    SpanType.DATE: 1.0,
    SpanType.FACILITY_UNIT: 1.0,
    SpanType.AGE: 1.0,
    SpanType.LOCATION: 1.0,
}
WEEKDAY_WEIGHT = 0.5
RARE_EVENT_WEIGHT = 0.5
QUASI_BLOCK = 2.0

_PATIENT_CUE = cue_pattern(
    r"\b(?:patients?|pts?|paciente|frequent\s+flyer|our\s+(?:little|sweet|favorite|favourite)\b|little\s+(?:guy|girl|one|man|lady)|"
    r"the\s+one\s+with|(?:guy|lady|man|woman|kid|baby|girl|boy|gentleman|grandpa|grandma)\s+(?:in|on|from|with)\b|"
    r"had\s+an?\s+\d+|had\s+an?\s+(?:guy|lady|man|woman|kid|teen|toddler)|rang\s+the\s+bell|admitted|discharged|"
    r"went\s+home|finally\s+(?:stable|ate|home|walked|extubated)|is\s+back\s+(?:in|on)|back\s+on\b|"
    r"(?:she|he|they)\s+(?:was|were|is|are)\s+(?:our|my)\s+patient|pray(?:ing)?\s+for|prayers\s+for|recen\s+por|"
    r"journey|story|sharing\b|testimonial|gofundme|caringbridge|tuve\s+un|mi\s+paciente|dob|date\s+of\s+birth|mrn|"
    r"(?:third|second|\d+(?:st|nd|rd|th))\s+admit|on\s+our\s+unit|for\s+updates|'s\s+family|the\s+\w+\s+family|"
    r"(?:his|her|their)\s+(?:family|wife|husband|mom|dad|son|daughter)|in\s+(?:room|bed|bay|trauma))\b",
    _I,
)
_SELF_HEALTH = cue_pattern(
    r"\b(?:my\s+own|i\s+(?:was|am|got|had|have|'ve\s+been|was\s+just)\s+(?:diagnosed|sick|admitted|hospitalized)|"
    r"i\s+(?:was|am)\s+diagnosed|i\s+had\b|i\s+have\b|my\s+(?:morphine|therapy|meds|medication|refill|doctor|dr|surgery|"
    r"appointment|diagnosis|anxiety|depression|migraines?|own)|asking\s+for\s+me|from\s+a\s+nurse\s+with|"
    r"a\s+nurse\s+with|back\s+at\s+work\s+after\s+my|i'?m\s+(?:still\s+)?a\s+nurse)\b",
    _I,
)
_MERE_CUES = frozenset(
    {"patient", "pt", "paciente", "a patient", "the patient", "our patient", "my patient", "mi paciente"}
)
_DEPARTMENT = cue_pattern(
    r"\bpatient\s+(?:relations|experience|advocacy|advocate|liaison|portal|services|financial|access|family\s+services)\b",
    _I,
)
_ORG_CONTACT_CUE = cue_pattern(
    r"\b(?:call|contact|reach|text|email|e-mail|visit|dm|message)\s+(?:us|our|the|patient|at|a|nurse)\b|"
    r"\b(?:nurse\s+line|our\s+team|patient\s+(?:relations|experience|advocacy|liaison))\b|\bto\s+schedule\b",
    _I,
)
_ANECDOTE = cue_pattern(
    r"\b(?:a|my|our|the|one)\s+(?:patient|pt)\s+(?:said|told|thanked|asked|today|yesterday|tonight|last|this|who|"
    r"with|in|on|from|just)\b|\bhad\s+an?\s+\d+\s*(?:-?\s*(?:yo|y/o|yr|year))|\btuve\s+un\s+paciente\b",
    _I,
)
_INBOUND_CARE_VERB = cue_pattern(
    r"\b(?:delivering|delivered|took\s+care\s+of|taking\s+care\s+of|treated\s+me|my\s+stay|discharged|admitted|"
    r"was\s+on\b|is\s+in\s+(?:bed|room))",
    _I,
)
_THIRD_PARTY_SELF = cue_pattern(r"\bmy\s+(?:patient|pt)\b|\bour\s+patient\b", _I)
_SUPPORT_HASHTAG = cue_pattern(r"#\w*(?:strong|warrior|fighter|prayfor|pray4|getwell|army|brave)\w*", _I)
_SECOND_PERSON = cue_pattern(r"\b(?:you|your|you're|you've|you'll|yours|u|ur|usted|su|tu)\b", _I)
_CONFIRMS = cue_pattern(
    r"\b(?:your|ur)\s+(?:recent\s+|last\s+|upcoming\s+|new\s+)?(?:visit|stay|chart|records?|account|care|surgery|"
    r"procedure|appointment|follow[- ]?up|doctor|nurse|care\s+team|physician|provider|treatment|room|discharge|"
    r"admission|results?|labs?|scan|test|medications?|meds|dose|dosage|prescription|diagnosis|recovery|delivery|"
    r"baby|birth|wait|time\s+(?:with|in|on|at)|experience\s+(?:on|in|with\s+dr)|bill|claim|infusion|therapy|"
    r"(?:wife|husband|mom|mother|dad|father|son|daughter|sister|brother|grandma|grandmother|grandpa|grandfather|"
    r"fianc[eé]e?|partner|uncle|aunt|child|kid|baby|friend|niece|nephew|cousin)'?s?\s+(?:\w+\s+){0,3}?"
    r"(?:care|condition|workup|surgery|treatment|stay|visit|recovery|results?|tests?|doctor|nurse|room|discharge|"
    r"medication|meds|progress|status|chart)|\w+\s+(?:went|is\s+going|are\s+going|is\s+working|are\s+working|worked|"
    r"healed|recovery))\b"
    r"|\bour\s+records\b|\bwe\s+(?:reviewed|checked|looked\s+(?:at|into))\s+your\b|\byou\s+were\s+(?:seen|admitted|"
    r"discharged|treated|here|with\s+us|in\s+(?:our|the)|on\s+(?:our|the)|brought)\b|\bwhen\s+you\s+were\s+(?:here|with\s+us|"
    r"admitted|in|on)\b|\bduring\s+your\b|\bglad\s+(?:you(?:'re|\s+are)\s+(?:recovering|feeling|doing|home|better|back)|"
    r"(?:the|your)\s+\w+)|\bsee\s+you\s+(?:at\s+your|on\s+\w+|next|soon\s+for|back)|\bupdate\s+you\s+on\b|"
    r"\bwe\s+miss\s+you\b|\bwill\s+call\s+you\b|\b(?:adjust|change|refill)\s+your\b|\bhope\s+your\s+\w+|"
    r"\bwelcome\s+back\b|\bthat\s+was\s+(?:mr|mrs|ms|miss)\b",
    _I,
)
_GENERIC_REPLY = cue_pattern(
    r"\b(?:please\s+(?:call|contact|reach|email|dm|message|send)|patient\s+(?:relations|experience|advocacy|liaison)|"
    r"can'?t\s+discuss|cannot\s+discuss|thank\s+you\s+for\s+(?:the\s+kind|your\s+(?:feedback|kind|review))|"
    r"sorry\s+to\s+hear)\b",
    _I,
)
_IDENTIFIER_REQUEST = cue_pattern(
    r"\b(?:reply|send|dm|message|post|share|provide|give|tell)\s+(?:us\s+)?(?:with\s+)?(?:\w+\s+){0,3}?"
    r"(?:full\s+name|date\s+of\s+birth|dob|birthday|mrn|medical\s+record|record\s+number|insurance|member\s+id|"
    r"ssn|social\s+security|account\s+number|room\s+number|diagnosis|symptoms|address)\b",
    _I,
)
_MEDICAL_ADVICE = cue_pattern(
    r"\b(?:you\s+should\s+(?:take|stop|start|try|double|increase|decrease|cut|switch|skip|avoid\s+taking)|"
    r"(?:try|start|stop|keep)\s+taking|take\s+(?:\d+|one|two|three|half)\s*(?:mg|tablets?|pills?|doses?|capsules?)?|"
    r"\d+\s?mg\s+(?:of\s+)?\w+\s+(?:twice|once|every|daily|a\s+day|at\s+night)|i(?:'d|\s+would)\s+(?:recommend|suggest)\s+"
    r"(?:you|taking|increasing|stopping)|(?:increase|decrease|double|lower|raise)\s+(?:your|the)\s+dose)\b",
    _I,
)
_UNPROFESSIONAL = cue_pattern(
    r"\b(?:frequent\s+flyers?|drug[- ]seek(?:er|ing)s?|gomers?|train\s*wrecks?|whales?|crock|dirtbags?|junkies?|"
    r"psychos?|crazies|lunatics?|idiots?|morons?|dumb\s+(?:patient|pt)s?|stupid\s+(?:patient|pt)s?|"
    r"(?:patient|pt)s?\s+(?:from\s+hell|are\s+(?:the\s+worst|idiots|stupid|disgusting))|sassiest|lol|lmao|😂|🤣)",
    _I,
)
_REVIEW_REQUEST = cue_pattern(r"\b(?:review|rating|stars?|rate\s+us|feedback)\b", _I)
_INCENTIVE = cue_pattern(
    r"\b(?:gift\s+cards?|discount|coupon|\d+%\s+off|free\s+\w+|chance\s+to\s+win|entered?\s+(?:to|into)\s+(?:win|a\s+drawing)|"
    r"raffle|prize|reward|in\s+exchange\s+for|\$\d+)\b",
    _I,
)
_EMPLOYMENT_DISCLOSURE = cue_pattern(
    r"\b(?:i\s+work|my\s+(?:shift|unit|coworkers|colleagues|employer|team|job)|our\s+\w+|we\b|#employee|#ad\b|"
    r"disclosure|i'?m\s+(?:a|an)\s+(?:nurse|employee|staff)|proud\s+to\s+work)\b",
    _I,
)
_ENDORSEMENT = cue_pattern(
    r"\b(?:best\s+(?:hospital|doctors?|care|clinic)|highly\s+recommend|go\s+(?:see|to)|you\s+should\s+go|5\s+stars?|"
    r"five\s+stars|amazing\s+(?:hospital|care|doctors?))\b",
    _I,
)
_INBOUND_CARE_LINK = cue_pattern(
    r"\b(?:your\s+(?:er|ed|hospital|staff|nurses?|doctors?|icu|clinic|unit|floor|emergency)|my\s+stay|was\s+on\b|"
    r"stay\s+at|(?:is|was)\s+in\s+(?:bed|room|your)|delivering|delivered|took\s+care\s+of|taking\s+care\s+of|"
    r"treated\s+me|discharged|admitted)\b",
    _I,
)
_RARE_EVENT = cue_pattern(
    r"\b(?:first\s+(?:ever|in\s+the\s+state|case)|quadruplets|triplets|conjoined|rare|lightning|shark|bear\s+attack|"
    r"celebrity|famous|viral|news|tv|only\s+one)\b",
    _I,
)
_STORY_CUE = cue_pattern(
    r"\b(?:story|journey|testimonial|sharing|shared|thank\s+you\s+to\s+the\s+\w+\s+family)\b", _I
)


@dataclass(slots=True)
class Judgment:
    verdict: Verdict
    reasons: list[str]
    patient_linked: bool
    relationship_confirmation: bool
    quasi_score: float
    extra: list[Finding] = field(default_factory=list)


def _active_health(findings: list[Finding]) -> list[Finding]:
    return [
        f
        for f in findings
        if f.type in (SpanType.CONDITION, SpanType.MEDICATION, SpanType.CARE_EVENT)
        and ".negated" not in f.rule
    ]


def quasi_score(findings: list[Finding], text: str, mask: int = ALWAYS) -> float:
    """Sum of quasi-identifier weights, each type counted once (docs/screening.md). ``mask`` is the text's
    cue mask from :func:`rounds.screening.gate.scan` (by default the cue gate is not trusted: every pattern runs)."""
    seen: dict[SpanType, float] = {}
    for item in findings:
        if item.organizational:
            continue
        weight = QUASI_WEIGHTS.get(item.type)
        if weight is None:
            continue
        if item.type is SpanType.DATE and item.rule == "pattern.weekday":
            weight = WEEKDAY_WEIGHT
        seen[item.type] = max(seen.get(item.type, 0.0), weight)
    score = sum(seen.values())
    if _RARE_EVENT.search(text, mask):
        score += RARE_EVENT_WEIGHT
    return score


def _identifying(findings: list[Finding], text: str, mask: int) -> tuple[list[str], float]:
    """Reasons that make a patient identifiable, and the quasi-identifier score."""
    reasons: list[str] = []
    org_contact = _ORG_CONTACT_CUE.search(text, mask)
    for item in findings:
        if item.organizational:
            continue
        if (
            org_contact
            and item.type in (SpanType.PHONE, SpanType.EMAIL, SpanType.URL, SpanType.FAX)
            and item.start >= org_contact.start()
            and item.rule != "pattern.url.fundraiser"
        ):
            continue
        value = text[item.start : item.end]
        if item.type in DIRECT_TYPES:
            reasons.append(f"direct identifier: {item.type.lower()}")
        elif item.type is SpanType.ROOM_BED:
            reasons.append("a room or bed number")
        elif item.type is SpanType.AGE and (age_value(value) or 0) > 89:
            reasons.append("an age over 89")
        elif item.type is SpanType.DATE and item.rule == "pattern.date":
            reasons.append("an exact date")
        elif item.type is SpanType.LOCATION and item.rule in (
            "pattern.address",
            "pattern.zip",
            "pattern.school",
        ):
            reasons.append("a street address, ZIP code or school")
    score = quasi_score(findings, text, mask)
    if score >= QUASI_BLOCK:
        reasons.append(f"quasi-identifiers combined (score {score:g})")
    return sorted(set(reasons)), score


def judge(
    text: str,
    kind: Kind,
    findings: list[Finding],
    context_text: str,
    policy: Policy,
    mask: int | None = None,
) -> Judgment:
    """The verdict for ``text``. ``mask`` is its cue mask (:func:`rounds.screening.gate.scan`), computed here when
    not given."""
    if mask is None:
        mask = scan(text.lower(), text)
    text_for_cues = _DEPARTMENT.regex.sub(" ", text) if _DEPARTMENT.possible(mask) else text
    health = [
        f
        for f in _active_health(findings)
        if not (f.type is SpanType.CARE_EVENT and text[f.start : f.end].lower() in _MERE_CUES)
        and not (_DEPARTMENT.possible(mask) and _DEPARTMENT.regex.match(text, f.start))
    ]
    identifiers = [f for f in findings if f.type.identifier]
    people = [f for f in identifiers if f.type in (SpanType.NAME, SpanType.HANDLE) and not f.organizational]
    has_room = any(f.type is SpanType.ROOM_BED for f in identifiers)
    support_tag = any(
        f.type is SpanType.NAME and m.start() <= f.start < m.end()
        for m in _SUPPORT_HASHTAG.finditer(text, mask)
        for f in identifiers
    )
    # The cue searches below are the judge's costliest work: each runs at most once, and only when the
    # verdict depends on it.
    cues: dict[str, bool] = {}

    def patient_cue() -> bool:
        if "patient" not in cues:
            cues["patient"] = bool(_PATIENT_CUE.search(text_for_cues, mask))
        return cues["patient"]

    def self_health() -> bool:
        if "self" not in cues:
            cues["self"] = bool(_SELF_HEALTH.search(text, mask)) and not _THIRD_PARTY_SELF.search(text, mask)
        return cues["self"]

    fundraiser = any(f.rule == "pattern.url.fundraiser" for f in identifiers)
    strong_health = [f for f in health if ".generic" not in f.rule]

    reasons: list[str] = []
    extra: list[Finding] = []
    verdict = Verdict.OK
    relationship = False

    record_ids = any(
        f.type in (SpanType.MRN, SpanType.HEALTH_PLAN, SpanType.SSN) and not f.organizational
        for f in identifiers
    )
    about_patient = (
        record_ids
        or support_tag
        or fundraiser
        or (has_room and (bool(people) or patient_cue()))
        or (bool(strong_health) and (bool(people) or has_room or patient_cue()) and not self_health())
        or ((bool(people) or has_room) and patient_cue() and not self_health())
        or (bool(_ANECDOTE.search(text_for_cues, mask)) and not self_health())
    )
    identifying, score = _identifying(findings, text, mask)

    if kind.outbound:
        if kind.answers_someone or (people and any(f.type is SpanType.HANDLE for f in people)):
            relationship = _confirms_relationship(text, findings, context_text, mask)
        if relationship:
            about_patient = True
            verdict = Verdict.BLOCK
            reasons.append(
                "The reply confirms or implies that the person it answers (or their relative) is or was a patient."
            )
        if about_patient:
            if identifying:
                verdict = Verdict.BLOCK
                reasons.append(
                    "A specific patient's health or care is identifiable: " + ", ".join(identifying) + "."
                )
            elif verdict is not Verdict.BLOCK:
                verdict = Verdict.WARN
                reasons.append(
                    "A patient-specific clinical anecdote; no direct identifier, but details can add up"
                    f" (quasi-identifier score {score:g})."
                )
            if kind in (Kind.DRAFT, Kind.POST) and _STORY_CUE.search(text, mask) and identifying:
                verdict, extra = _apply_rule(
                    policy, "patient_story_authorization", verdict, reasons, extra, text, _STORY_CUE, mask
                )
        if kind.answers_someone and not relationship:
            verdict, extra = _apply_rule(
                policy, "identifier_requests", verdict, reasons, extra, text, _IDENTIFIER_REQUEST, mask
            )
        verdict, extra = _apply_rule(
            policy, "medical_advice", verdict, reasons, extra, text, _MEDICAL_ADVICE, mask
        )
        if about_patient or (_UNPROFESSIONAL.search(text, mask) and patient_cue()):
            verdict, extra = _apply_rule(
                policy, "unprofessional_language", verdict, reasons, extra, text, _UNPROFESSIONAL, mask
            )
        if _REVIEW_REQUEST.search(text, mask):
            verdict, extra = _apply_rule(
                policy, "review_incentives", verdict, reasons, extra, text, _INCENTIVE, mask
            )
        if (
            kind in (Kind.POST, Kind.DRAFT)
            and _ENDORSEMENT.search(text, mask)
            and not _EMPLOYMENT_DISCLOSURE.search(text, mask)
        ):
            verdict, extra = _apply_rule(
                policy, "undisclosed_employment", verdict, reasons, extra, text, _ENDORSEMENT, mask
            )
    else:
        linked_care = bool(_INBOUND_CARE_LINK.search(text, mask)) or any(
            f.type in (SpanType.FACILITY_UNIT, SpanType.ROOM_BED) for f in identifiers
        )
        if (health or has_room or _INBOUND_CARE_VERB.search(text, mask)) and linked_care:
            about_patient = True
            verdict = Verdict.WARN
            reasons.append(
                "The commenter discloses health or care details linked to care here: hide or route to privacy"
                " review, and never echo them in a reply."
            )
    if verdict is Verdict.OK and not reasons:
        reasons.append("Nothing patient-specific is disclosed.")
    return Judgment(verdict, reasons, about_patient and verdict is not Verdict.OK, relationship, score, extra)


def _confirms_relationship(text: str, findings: list[Finding], context_text: str, mask: int) -> bool:
    if _IDENTIFIER_REQUEST.search(text, mask):
        return False
    confirms = bool(_CONFIRMS.search(text, mask))
    if not confirms and context_text:
        # Echoing health details or a clinician / unit the person posted.
        context_lower = context_text.lower()
        for item in findings:
            value = text[item.start : item.end].lower()
            if len(value) < 3:
                continue
            if item.type in (SpanType.CONDITION, SpanType.MEDICATION) and ".generic" not in item.rule:
                if value in context_lower and _SECOND_PERSON.search(text, mask):
                    confirms = True
            elif (
                item.type in (SpanType.FACILITY_UNIT, SpanType.ROOM_BED, SpanType.DATE)
                and value in context_lower
            ):
                confirms = True
    if not confirms:
        return False
    return not (
        _GENERIC_REPLY.search(text, mask) and not _CONFIRMS.regex.search(_GENERIC_REPLY.regex.sub(" ", text))
    )


def _apply_rule(
    policy: Policy,
    name: str,
    verdict: Verdict,
    reasons: list[str],
    extra: list[Finding],
    text: str,
    pattern: CuePattern,
    mask: int,
) -> tuple[Verdict, list[Finding]]:
    rule = policy.rules()[name]
    if rule.mode is RuleMode.OFF:
        return verdict, extra
    match = pattern.search(text, mask)
    if match is None:
        return verdict, extra
    extra.append(
        finding(
            match.start(),
            match.end(),
            SpanType.POLICY,
            POLICY_COMPONENT,
            f"policy.{name}",
            rule.reason,
            1.0,
        )
    )
    reasons.append(f"Policy ({name.replace('_', ' ')}, {rule.mode}): {rule.reason}")
    return verdict.at_least(Verdict(rule.mode.value)), extra
