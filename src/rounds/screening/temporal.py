"""Dates (a specific day or finer, weekdays, holidays, month + year) and ages, in English and Spanish."""

from __future__ import annotations

import re

from rounds.domain.screening import Finding, SpanType
from rounds.screening.base import Context, finding
from rounds.screening.gate import cue_pattern
from rounds.screening.text import Prepared

_I = re.IGNORECASE
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sept?(?:ember)?|"
    r"Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?|JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|"
    r"JULY?|AUG(?:UST)?|SEPT?(?:EMBER)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)"
)
_MES = (
    r"(?:enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|setiembre|octubre|noviembre|diciembre)"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_WEEKDAY = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_HOLIDAY = (
    r"Christmas(?:\s+(?:Eve|Day|morning|night))?|New\s+Year'?s(?:\s+(?:Eve|Day))|Thanksgiving(?:\s+Day)?|"
    r"Easter(?:\s+Sunday)?|Halloween|Fourth\s+of\s+July|Independence\s+Day|Valentine'?s\s+Day|Memorial\s+Day|"
    r"Labor\s+Day|Mother'?s\s+Day|Father'?s\s+Day|Veterans\s+Day|Good\s+Friday|Black\s+Friday|"
    r"Nochebuena|Navidad|A[ñn]o\s+Nuevo|D[ií]a\s+de\s+(?:Muertos|Reyes|la\s+Madre)"
)

_NUMERIC_DATE = cue_pattern(
    (
        # ISO and year-first
        r"\b(?:19|20)\d{2}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b",
        # m/d/y, m-d-y, m.d.y and d/m/y
        r"(?<![\d/.-])(?:0?[1-9]|[12]\d|3[01])[/-](?:0?[1-9]|[12]\d|3[01])[/-](?:\d{4}|\d{2})(?![\d/-])",
        r"(?<![\d/.-])(?:0?[1-9]|1[0-2])\.(?:0?[1-9]|[12]\d|3[01])\.(?:\d{4}|\d{2})(?![\d.])",
        # m/d without year
        r"(?<![\d/.,-])(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12]\d|3[01])(?![\d/%])",
        # Month day[, year] and day Month [year]
        r"\b" + _MONTH + r"\.?\s+" + _DAY + r"(?:,?\s+(?:19|20)\d{2})?\b",
        r"\b" + _DAY + r"\s+(?:of\s+)?" + _MONTH + r"\.?(?:,?\s+(?:19|20)\d{2})?\b",
        # Month year
        r"\b" + _MONTH + r"\.?,?\s+(?:19|20)\d{2}\b",
        # Spanish
        r"(?i:\b\d{1,2}\s+de\s+" + _MES + r"(?:\s+(?:de|del)\s+\d{4})?\b)",
        r"(?i:\b" + _MES + r"\s+(?:de|del)\s+\d{4}\b)",
    )
)
_WORD_DATE = cue_pattern(
    r"|".join(
        (
            # Weekdays with an optional anchor
            r"(?i:\b(?:(?:last|next|this|past|early|late|on)\s+)?" + _WEEKDAY + r"s?\b)",
            r"\b(?:" + _HOLIDAY + r")\b",
            r"(?i:\b(?:el\s+)?(?:lunes|martes|mi[eé]rcoles|jueves|viernes|s[aá]bado|domingo)(?:\s+pasado)?\b)",
        )
    )
)
_NOT_DATE_AFTER = re.compile(
    r"\s*(?:tabs?|tablets?|cups?|doses?|of\s+(?:a|the)|mg|ml|pills?|inch|mile)\b", _I
)
_LOOK_BACK = 64  # "blood pressure" and its spaces: searching the whole prefix made long texts quadratic
_NOT_DATE_BEFORE = re.compile(r"(?:bp|blood pressure|score|ratio|rated|gave it|out of)\s*$", _I)

_NUMBER_WORDS = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|"
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|"
    r"eighteen|nineteen|(?:a|one)\s+hundred(?:\s+(?:and\s+)?\w+)?)"
)
_AGE = cue_pattern(
    (
        r"\b(?P<n1>\d{1,3}|" + _NUMBER_WORDS + r")\s*-?\s*(?:years?|yrs?|yr)[\s-]*old\b",
        r"\b(?P<n2>\d{1,3})\s*-?\s*(?:y/?o|y\.o\.?|yo[mf]?)(?![a-z])",
        r"\b(?P<n3>\d{1,3})\s*(?:years?|yrs?)\s+of\s+age\b",
        r"\b(?:aged?|edad(?:\s+de)?)\s*:?\s*(?P<n4>\d{1,3})\b",
        r"(?<=\()(?P<n5>\d{1,3})\s?[MF](?=\))|\b(?P<n6>\d{1,3})\s?[MF](?=,\s)",
        r"\b(?P<n7>\d{1,3})\s+a[ñn]os\b",
        r"\b(?P<n9>\d{1,3})(?:st|nd|rd|th)\s+birthday\b",
        r"\b(?:turn(?:s|ed|ing)?|cumpli[oó]|cumple)\s+(?P<n10>\d{1,3})\b",
    ),
    _I,
)
_WORD_VALUES = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
    "hundred": 100,
}


def age_value(text: str) -> int | None:
    """The age in years written in an AGE span, when it can be read."""
    digits = re.search(r"\d{1,3}", text)
    if digits:
        return int(digits.group())
    lowered = text.lower()
    total = 0
    for word, value in _WORD_VALUES.items():
        if word in lowered:
            total = max(total, value) if word != "hundred" else 100
    return total or None


class DateRecognizer:
    name = "phi.dates.v1"

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        text = prepared.folded
        out: list[Finding] = []
        mask = prepared.cues
        matches = [*_NUMERIC_DATE.finditer(text, mask, prepared.starts), *_WORD_DATE.finditer(text, mask)]
        for match in matches:
            start, end = match.span()
            value = match.group()
            if value[0].isdigit() and "/" in value and value.count("/") == 1:
                if _NOT_DATE_AFTER.match(text, end) or _NOT_DATE_BEFORE.search(
                    text, max(0, start - _LOOK_BACK), start
                ):
                    continue
                month, day = value.split("/")
                if month == "24" or (day == "7" and month == "24"):
                    continue
            lowered = value.lower()
            if lowered.startswith("on ") or lowered.startswith("el "):
                start += 3
            if (
                lowered.startswith(("may ", "mar "))
                and value[:3] in ("May", "Mar")
                and not value[4:5].isdigit()
            ):
                continue
            weekday = "day" in lowered and not any(ch.isdigit() for ch in value)
            out.append(
                finding(
                    start,
                    end,
                    SpanType.DATE,
                    self.name,
                    "pattern.weekday" if weekday else "pattern.date",
                    "A specific day can date a patient's visit; only the year is safe."
                    if not weekday
                    else "A weekday pins an event to a specific day.",
                    0.7 if weekday else 0.93,
                )
            )
        return out


class AgeRecognizer:
    name = "phi.ages.v1"

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        out: list[Finding] = []
        for match in _AGE.finditer(prepared.folded, prepared.cues, prepared.starts):
            group = next(name for name, value in match.groupdict().items() if value is not None)
            start, end = match.span()
            if group in ("n4", "n9", "n10"):
                start, end = match.span(group)
            age = age_value(prepared.folded[start:end])
            if age is None or age > 125:
                continue
            over = age > 89
            out.append(
                finding(
                    start,
                    end,
                    SpanType.AGE,
                    self.name,
                    "pattern.age.over89" if over else "pattern.age",
                    "An age over 89 is itself an identifier under HIPAA."
                    if over
                    else "An age narrows down who a patient is.",
                    0.95 if over else 0.85,
                )
            )
        return out
