"""Personal names in informal text: lexicons plus context.

Evidence, strongest first: a title ("Dr.", "Mrs.", "Sra."), a patient cue ("pt", "patient", "pray for"), a name
hashtag (#PrayForAnna, #BertaWarrior), "the Nguyen family", a known first name written as a name (capitalized
or ALL CAPS, or lower-case followed by a known surname), initials next to a surname or after a patient cue,
and leetspeak / look-alike spellings (folded by ``text.prepare``). Names listed in the organization profile,
and names after a clinician title, are staff: reported, but marked organizational.
"""

from __future__ import annotations

import re

from rounds.domain.screening import Finding, SpanType
from rounds.screening.base import Context, finding
from rounds.screening.gate import cue_pattern
from rounds.screening.lexicons import CLINICIAN_TITLES, COMMON_WORDS, EPONYMS, NOT_NAMES, TITLES, person_names
from rounds.screening.text import Prepared, Token

_PATIENT_CUES = frozenset(
    {
        "pt",
        "patient",
        "paciente",
        "pts",
        "resident",
        "mrs",
        "mr",
        "ms",
        "miss",
        "sr",
        "sra",
        "srta",
        "don",
        "doña",
    }
)
_LEAD_WORDS = TITLES | _PATIENT_CUES  # the words after which a name rule looks at the next token
_PRAY = cue_pattern(
    r"\b(?:pray(?:ing)?\s+for|prayers?\s+(?:for|to)|thoughts\s+(?:are\s+)?with|recen\s+por|oren\s+por|"
    r"happy\s+(?:\d{1,3}(?:st|nd|rd|th)\s+)?birthday(?:\s+to)?|get\s+well(?:\s+soon)?|rip|rest\s+in\s+peace|"
    r"welcome\s+(?:back|home)|feliz\s+cumplea[ñn]os|named|called|goes\s+by)\s+",
    re.IGNORECASE,
)
_HASHTAG = re.compile(r"#([A-Za-zÀ-ÿ]+)")
_HASHTAG_WORDS = (
    "prayfor",
    "prayersfor",
    "praying4",
    "pray4",
    "justicefor",
    "lovefor",
    "teamfor",
    "team",
    "strong",
    "warrior",
    "fighter",
    "fight",
    "army",
    "brave",
    "tough",
    "heal",
    "healing",
    "recovery",
    "getwell",
    "getwellsoon",
    "nation",
    "support",
    "love",
    "forever",
    "journey",
    "story",
    "fuerza",
    "oremospor",
)
_HASHTAG_SPLIT = re.compile(
    r"^(?P<pre>" + "|".join(sorted(_HASHTAG_WORDS, key=len, reverse=True)) + r")?(?P<name>[a-zà-ÿ]{3,}?)"
    r"(?P<post>" + "|".join(sorted(_HASHTAG_WORDS, key=len, reverse=True)) + r")?$"
)
_ROOM_AHEAD = re.compile(
    r"\s+(?:is\s+|was\s+)?(?:back\s+|still\s+|now\s+)?(?:in|on)\s+(?:the\s+)?(?:room|rm|bed|bay|trauma|cama|\d{1,2}\s?[a-z]+|unit|pod)\b",
    re.IGNORECASE,
)
_FAMILY = cue_pattern(
    r"\b(?:the|la|los)\s+([A-Z][a-z'’-]+(?:[- ][A-Z][a-z'’-]+)?)\s+(?:family|familia|household|kids|twins)\b"
)
_INITIALS = re.compile(r"\b([A-Z])\.\s?(?:([A-Z])\.)?(?=\s?[A-Z][a-z])|\b[A-Z]\.[A-Z]\.(?:[A-Z]\.)?")
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "8": "b"}
)


def _clean(token: Token) -> tuple[str, int]:
    """The token's lower-case name form and its length without a possessive 's."""
    lower = token.lower
    if not lower.endswith("s"):
        return lower, len(token.text)
    for suffix in ("'s", "’s"):
        if lower.endswith(suffix):
            return lower[: -len(suffix)], len(token.text) - len(suffix)
    return lower, len(token.text)


def _name_shaped(text: str) -> bool:
    return text[:1].isupper() and (text[1:].islower() or text.isupper() or "'" in text or "-" in text)


class NameRecognizer:
    name = "phi.names.v1"

    def __init__(self) -> None:
        self._firsts, self._lasts = person_names()

    def _known_first(self, lower: str) -> bool:
        return len(lower) >= 3 and lower in self._firsts

    def _known_last(self, lower: str) -> bool:
        return len(lower) >= 2 and lower in self._lasts

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        text = prepared.folded
        tokens = prepared.tokens
        out: list[Finding] = []
        claimed: set[int] = set()
        cue_positions = {match.end() for match in _PRAY.finditer(text, prepared.cues)}

        def emit(
            first: int, last: int, rule: str, explanation: str, score: float, staff: bool = False
        ) -> None:
            start = tokens[first].start
            _lower, length = _clean(tokens[last])
            end = tokens[last].start + length
            value = text[start:end].lower()
            if value in NOT_NAMES:
                return
            for index in range(first, last + 1):
                claimed.add(index)
            item = finding(start, end, SpanType.NAME, self.name, rule, explanation, score)
            known = value in context.known_people
            item.organizational = staff or known
            if known:
                item.explanation = "A name the organization lists as staff or a public figure, not a patient."
            out.append(item)

        def extend(index: int) -> int:
            """Extend a name to a following surname or initial."""
            last = index
            while last + 1 < len(tokens) and last - index < 2:
                nxt = tokens[last + 1]
                gap = text[tokens[last].end : nxt.start]
                if gap not in (" ", ". ", "-") or "'" in tokens[last].text:
                    break
                nlower, _ = _clean(nxt)
                if nlower in COMMON_WORDS and not nxt.text.isupper():
                    break
                if nlower in ("dob", "mrn", "ssn", "pt") or (
                    nxt.text.isupper() and not (self._known_last(nlower) or self._known_first(nlower))
                ):
                    break
                shaped = _name_shaped(nxt.text) or (nxt.text.islower() and tokens[index].text.islower())
                if shaped and (
                    self._known_last(nlower) or self._known_first(nlower) or nxt.text[:1].isupper()
                ):
                    if nxt.text.islower() and not self._known_last(nlower):
                        break
                    last += 1
                    continue
                if len(nxt.text) == 1 and nxt.text.isupper() and text[nxt.end : nxt.end + 1] == ".":
                    # "Débora C." : the initial, with its dot
                    claimed.add(last + 1)
                    out.append(
                        finding(
                            nxt.start,
                            nxt.end + 1,
                            SpanType.NAME,
                            self.name,
                            "context.initial",
                            "A surname initial next to a first name.",
                            0.8,
                        )
                    )
                break
            return last

        firsts = self._firsts
        for index, token in enumerate(tokens):
            if index in claimed:
                continue
            previous = tokens[index - 1].lower if index else ""
            surface = token.text
            # Most tokens are ordinary lower-case words with no title or cue before them: none of the rules
            # below can fire on those (each needs a title, a cue, a capital, a known first name or a digit).
            if (
                surface.islower()
                and surface.isalpha()
                and not (len(surface) >= 3 and token.lower in firsts)
                and previous not in _LEAD_WORDS
                and token.start not in cue_positions
            ):
                continue
            lower, _ = _clean(token)
            gap_before = text[tokens[index - 1].end : token.start] if index else ""
            # 1. After a title: "Dr. Lambert", "dr Short", "Mrs. Patiño"
            title_name = (
                previous in TITLES
                and gap_before in (" ", ". ")
                and token.text[:1].isalpha()
                and (token.text[:1].isupper() or previous in ("dr", "mr", "mrs", "ms"))
            )
            if title_name:
                if lower in EPONYMS and text[token.end : token.end + 2] in ("'s", "’s"):
                    continue
                last = extend(index)
                staff = previous in CLINICIAN_TITLES
                emit(
                    index,
                    last,
                    "context.title.clinician" if staff else "context.title",
                    "A clinician's name (after a professional title): staff, not a patient."
                    if staff
                    else "A name after a courtesy title.",
                    0.9,
                    staff=staff,
                )
                continue
            # 2. After a patient cue: "pt J. Parrish", "patient AC", "pray for tasha"
            cue = previous in _PATIENT_CUES or token.start in cue_positions
            if (
                cue
                and token.text[:1].isalpha()
                and lower not in COMMON_WORDS
                and (
                    _name_shaped(token.text)
                    or self._known_first(lower)
                    or self._known_last(lower)
                    or (token.text.isupper() and 2 <= len(token.text) <= 3)
                )
            ):
                last = extend(index)
                emit(index, last, "context.patient_cue", "A name right after a patient cue.", 0.9)
                continue
            initial = len(token.text) == 1 and token.text.isupper() and text[token.end : token.end + 1] == "."
            # "J. Parrish": initial + known surname
            if initial and index + 1 < len(tokens) and _name_shaped(tokens[index + 1].text):
                nlower, _ = _clean(tokens[index + 1])
                if self._known_last(nlower) or self._known_first(nlower):
                    emit(index, index + 1, "lexicon.initial_surname", "An initial and a surname.", 0.85)
                    continue
            # 3. Known first names written as names
            shaped = _name_shaped(token.text)
            if shaped and self._known_first(lower) and lower not in COMMON_WORDS:
                if lower in EPONYMS and text[token.end : token.end + 2] in ("'s", "’s"):
                    continue
                last = extend(index)
                emit(index, last, "lexicon.first_name", "A known first name.", 0.8 if last == index else 0.9)
                continue
            # 4. Lower-case full names: "sonya pruitt", and first names before a room: "dean in room 584"
            if token.text.islower() and self._known_first(lower):
                if index + 1 < len(tokens):
                    nxt = tokens[index + 1]
                    nlower, _ = _clean(nxt)
                    if (
                        nxt.text.islower()
                        and text[token.end : nxt.start] == " "
                        and self._known_last(nlower)
                        and nlower not in COMMON_WORDS
                        and lower not in COMMON_WORDS
                    ):
                        emit(
                            index,
                            index + 1,
                            "lexicon.lowercase_full_name",
                            "A full name written in lower case.",
                            0.75,
                        )
                        continue
                if _ROOM_AHEAD.match(text, token.end) and (
                    index == 0 or tokens[index - 1].lower in ("and", "so")
                ):
                    emit(
                        index,
                        index,
                        "context.name_before_room",
                        "A first name placed in a room or unit.",
                        0.7,
                    )
                    continue
            # 5. Leetspeak: "J0hn", "M4ria"
            if not token.text.isalpha() and token.text[:1].isalpha() and any(c.isdigit() for c in token.text):
                unleet = token.lower.translate(_LEET)
                if unleet.isalpha() and self._known_first(unleet) and unleet not in COMMON_WORDS:
                    emit(index, index, "lexicon.leetspeak", "A first name spelled with digits.", 0.75)
                    continue
        if "#" in text:
            out.extend(self._hashtags(text))
        for match in _FAMILY.finditer(text, prepared.cues):
            start, end = match.span(1)
            if (
                not any(item.start <= start < item.end for item in out)
                and match.group(1).lower() not in COMMON_WORDS
            ):
                out.append(
                    finding(
                        start,
                        end,
                        SpanType.NAME,
                        self.name,
                        "context.family_name",
                        "A family surname identifies a household.",
                        0.85,
                    )
                )
        return out

    def _hashtags(self, text: str) -> list[Finding]:
        out: list[Finding] = []
        for match in _HASHTAG.finditer(text):
            body = match.group(1)
            split = _HASHTAG_SPLIT.match(body.lower())
            if not split or not (split.group("pre") or split.group("post")):
                continue
            name = split.group("name")
            if not (self._known_first(name) or self._known_last(name)):
                # CamelCase name part that the lexicon does not know: #PrayForXochitl
                parts = re.findall(r"[A-Z][a-zà-ÿ]+", body)
                if not any(part.lower() == name for part in parts):
                    continue
            offset = match.start(1) + split.start("name")
            out.append(
                finding(
                    offset,
                    offset + len(name),
                    SpanType.NAME,
                    self.name,
                    "hashtag.name",
                    "A name hashtag (#PrayFor…, #…Strong) names the person it supports.",
                    0.9,
                )
            )
        return out
