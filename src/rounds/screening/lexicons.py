"""Lexicons: shipped word lists (``data/*.txt``) and Faker's MIT-licensed person-name lists, read once."""

from __future__ import annotations

import functools
import importlib
import logging
import pkgutil
from importlib import resources

logger = logging.getLogger(__name__)


def _read(name: str) -> frozenset[str]:
    text = resources.files("rounds.screening").joinpath("data", name).read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


COMMON_WORDS: frozenset[str] = _read("common_words.txt") | frozenset(
    {
        "the", "and", "for", "with", "you", "your", "our", "this", "that", "thank", "thanks", "happy", "please",
        "shoutout", "welcome", "congrats", "congratulations", "hope", "today", "tonight", "tomorrow", "hey",
        "hi", "hello", "dear", "team", "nurse", "doctor", "patient", "family", "baby", "love", "god", "lord",
        "long", "short", "young", "king", "price", "rich", "white", "black", "brown", "green", "gray", "grey",
        "bell", "hall", "house", "wood", "field", "stone", "hill", "ford", "best", "major", "chance", "page",
        "may", "june", "july", "april", "august", "march", "will", "mark", "sunny", "star", "tuesday",
        "monday", "wednesday", "thursday", "friday", "saturday", "sunday", "christmas", "easter", "code",
        "blue", "pepper", "clean", "potato", "head", "fire", "drill", "alert", "stat", "charge", "unit",
        "room", "bed", "bay", "north", "south", "east", "west", "tower", "rehab", "pod", "april", "ed", "er",
        "or", "icu", "pt", "mr", "mrs", "ms", "dr", "dear", "regional", "memorial", "general", "health",
        "medical", "center", "hospital", "clinic", "care", "mercy", "trinity", "valley", "harbor", "coastal",
        "holy", "cross", "saint", "st", "mount", "providence", "grace", "faith", "joy", "glory", "justice",
        "liberty", "destiny", "trust", "honor", "genesis", "royal", "crystal", "amber", "ruby", "pearl",
        "diamond", "jade", "ivy", "holly", "iris", "lily", "rose", "violet", "daisy", "dawn", "eve",
        "autumn", "winter", "spring", "river", "sky", "storm", "rain", "sage", "angel", "precious", "bliss",
    }
)

STATES_AND_COUNTRIES: frozenset[str] = frozenset(
    {
        "alabama", "alaska", "arizona", "arkansas", "california", "colorado", "connecticut", "delaware",
        "florida", "georgia", "hawaii", "idaho", "illinois", "indiana", "iowa", "kansas", "kentucky",
        "louisiana", "maine", "maryland", "massachusetts", "michigan", "minnesota", "mississippi", "missouri",
        "montana", "nebraska", "nevada", "new hampshire", "new jersey", "new mexico", "new york",
        "north carolina", "north dakota", "ohio", "oklahoma", "oregon", "pennsylvania", "rhode island",
        "south carolina", "south dakota", "tennessee", "texas", "utah", "vermont", "virginia", "washington",
        "west virginia", "wisconsin", "wyoming", "america", "usa", "united states", "canada", "mexico",
        "england", "scotland", "wales", "ireland", "britain", "france", "germany", "spain", "italy", "india",
        "china", "japan", "brazil", "australia", "russia", "ukraine", "israel", "egypt", "nigeria", "kenya",
        "puerto rico",
    }
)

TITLES: frozenset[str] = frozenset(
    {
        "dr", "doctor", "mr", "mrs", "ms", "miss", "mx", "nurse", "rn", "np", "pa", "prof", "professor", "sr",
        "sra", "srta", "don", "doña", "señor", "señora", "mister", "madam", "sister", "brother", "father",
        "pastor", "rev", "coach", "officer", "sgt", "capt", "chaplain", "dra",
    }
)

# Titles after which a capitalized word is a staff member's name, not a patient's.
CLINICIAN_TITLES: frozenset[str] = frozenset({"dr", "doctor", "nurse", "rn", "np", "pa", "prof", "professor", "dra"})

CONDITIONS = _read("conditions.txt")
MEDICATIONS = _read("medications.txt")
PROCEDURES = _read("procedures.txt")
CARE_EVENTS = _read("care_events.txt")

# Brands and code names shaped like names; eponymous diseases.
NOT_NAMES: frozenset[str] = frozenset(
    {
        "dr pepper", "dr. pepper", "mr clean", "mr. clean", "mr potato head", "mr. potato head",
        "jack daniel's", "jack daniels", "dr. firestone", "dr firestone", "dr. strong", "dr strong",
        "dr. red", "dr red", "mr. red", "mrs. dash", "mrs dash", "dr. scholl's", "dr scholl's", "dr. who",
        "dr who", "dr. seuss", "dr seuss", "mr. bean", "mr bean", "mr. rogers", "ms. pac-man",
        "dr. oz", "dr oz", "mr. right", "dr. google", "dr google", "mr. yuk", "mr yuk", "dr. house", "dr house",
    }
)
EPONYMS: frozenset[str] = frozenset(
    {
        "parkinson", "alzheimer", "crohn", "hodgkin", "huntington", "graves", "addison", "cushing", "asperger",
        "tourette", "lou gehrig", "bell", "down", "hashimoto", "kawasaki", "guillain", "barre", "raynaud",
        "sjogren", "wilson", "meniere", "marfan", "apgar", "heimlich", "epstein", "barr", "ebola", "zika",
        "lyme", "achilles", "babinski", "glasgow", "tylenol", "foley", "swan", "ganz", "whipple",
    }
)


@functools.cache
def person_names() -> tuple[frozenset[str], frozenset[str]]:
    """(first names, last names), lower-case, from Faker's Latin-script person providers (MIT)."""
    import faker.providers.person as person_package  # noqa: PLC0415 - loaded once, on first use

    firsts: set[str] = set()
    lasts: set[str] = set()
    for module_info in pkgutil.iter_modules(person_package.__path__):
        try:
            provider = importlib.import_module(f"{person_package.__name__}.{module_info.name}").Provider
        except (ImportError, AttributeError):  # pragma: no cover - a broken provider is skipped
            continue
        for attribute, target in (
            ("first_names", firsts),
            ("first_names_male", firsts),
            ("first_names_female", firsts),
            ("last_names", lasts),
        ):
            values = provider.__dict__.get(attribute)
            if not isinstance(values, dict | tuple | list):
                continue
            for value in values:
                if isinstance(value, str) and all(ord(c) < 0x250 for c in value) and len(value) > 1:
                    target.add(value.lower())
    logger.debug("name lexicon loaded: %d first, %d last", len(firsts), len(lasts))
    return frozenset(firsts), frozenset(lasts)
