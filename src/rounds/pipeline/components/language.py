"""Language identification: ``enrich.language.v1``.

Cheap first: a text without letters (empty, emoji-only, numbers) is ``und``; a declared platform language is
kept; a text in a script used by one language (Hangul, kana, Thai, Greek, Hebrew...) is decided by its script;
Latin-script text is decided by counting frequent function words of English, Spanish, French, German,
Portuguese, Italian and Dutch, which settles most posts in a few microseconds. Only when that is inconclusive
does the bundled character n-gram model of ``py3langid`` (Lui & Baldwin's langid.py) decide, restricted to
about 70 widely used languages.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from typing import Any, ClassVar

from rounds.domain.enrichment import explanation
from rounds.domain.posts import Post
from rounds.pipeline.base import Draft, register
from rounds.pipeline.text import TextView

logger = logging.getLogger(__name__)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Frequent function words (closed-class words); each list favours words that other listed languages lack.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are was were you your i'm it's this that with have has for of to in on at my me "
        "what when where why how not but just they we will would can could should do does did don't "
        "about from be been if or so there their our an"
    ),
    "es": _words(
        "el la los las que de y en un una por con para es está están no se lo le del al como pero más "
        "muy hay este esta estoy mi mis su sus yo tú usted ya también porque cuando hospital donde "
        "fue son ser tengo tiene hoy gracias"
    ),
    "fr": _words(
        "le la les des une est et en du au aux que qui pas je tu il elle nous vous ils sont avec pour "
        "dans sur ce cette mais très avoir être ont fait mon ma mes ne plus aussi j'ai c'est merci "
        "bonjour"
    ),
    "de": _words(
        "der die das und ist nicht ich du er sie wir ihr ein eine einen mit auf für von zu den dem "
        "des im auch sich es war sind hat haben wird noch nach bei aber wie oder schon mein danke "
        "heute"
    ),
    "pt": _words(
        "o a os as que de e em um uma não para com por mais como mas muito é está estão ao do da dos "
        "das no na nos nas eu você ele ela isso esse essa também já foi são ser tem obrigado "
        "obrigada hoje"
    ),
    "it": _words(
        "il lo la gli le che di e un una non per con sono è del della dei delle nel nella al alla "
        "anche ma come più molto questo questa io tu lui lei noi voi mi ti ci grazie oggi"
    ),
    "nl": _words(
        "de het een en is niet ik je jij hij zij wij we van op voor met dat die dit zijn was ook "
        "maar nog wel naar bij heb heeft hebben er om uit dank vandaag"
    ),
}

_WORD_LANGUAGES: dict[str, tuple[str, ...]] = {}
for _lang, _words_of_lang in _FUNCTION_WORDS.items():
    for _word in _words_of_lang:
        _WORD_LANGUAGES[_word] = (*_WORD_LANGUAGES.get(_word, ()), _lang)

# The fallback model chooses among widely used languages only: on a few words, the full 97-language model
# often answers with rare ones (Latin, Nigerian Pidgin, Volapük) for English or Spanish fragments.
_FALLBACK_LANGUAGES = sorted(
    _words(
        "en es fr de pt it nl sv da no fi pl cs sk hu ro bg ru uk el tr ar fa ur hi bn ta te mr gu pa ml kn th vi "
        "id ms tl zh ja ko he sw af ca eu gl hr sr sl lt lv et is ga cy sq mk am ne si km lo my ka hy az kk uz"
    )
)

# Scripts used (almost) only by one language.
_SCRIPT_LANGUAGE: dict[str, str] = {
    "HANGUL": "ko",
    "HIRAGANA": "ja",
    "KATAKANA": "ja",
    "THAI": "th",
    "GREEK": "el",
    "HEBREW": "he",
    "DEVANAGARI": "hi",
    "BENGALI": "bn",
    "TAMIL": "ta",
    "GEORGIAN": "ka",
    "ARMENIAN": "hy",
}


@lru_cache(maxsize=4096)
def _script(char: str) -> str:
    try:
        return unicodedata.name(char).split(" ", 1)[0]
    except ValueError:
        return "UNKNOWN"


@register
class LanguageComponent:
    name: ClassVar[str] = "language"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ("language", "language_confidence")

    min_model_confidence: ClassVar[float] = 0.2

    def __init__(self) -> None:
        self._fallback: Any = None
        self._fallback_model()  # load now (about 0.5 s), not inside the first batch that needs it

    def _fallback_model(self) -> Any:
        if self._fallback is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
            identifier.set_languages(_FALLBACK_LANGUAGES)
            self._fallback = identifier
        return self._fallback

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        language, confidence, reason = self.detect(view, declared=post.language)
        draft.language = language
        draft.language_confidence = confidence
        draft.explanations.append(
            explanation(
                component=f"enrich.{self.name}.{self.version}",
                decision=language,
                score=round(confidence, 3),
                reason=reason,
            )
        )

    def detect(self, view: TextView, declared: str | None = None) -> tuple[str, float, str]:
        if view.letters == 0:
            return "und", 1.0, "no letters (empty, emoji, numbers or links only)"
        if declared:
            code = declared.strip().lower().replace("_", "-").split("-", 1)[0]
            if 2 <= len(code) <= 3 and code.isalpha() and code != "und":
                return code, 1.0, "language declared by the platform"
        scripts: dict[str, int] = {}
        if not view.text.isascii():
            for char in view.text:
                if not char.isascii() and char.isalpha():
                    script = _script(char)
                    scripts[script] = scripts.get(script, 0) + 1
        non_latin = {s: n for s, n in scripts.items() if s != "LATIN"}
        latin_letters = view.letters - sum(non_latin.values())
        if non_latin:
            script, count = max(non_latin.items(), key=lambda item: item[1])
            if count > latin_letters:
                if script in _SCRIPT_LANGUAGE:
                    return _SCRIPT_LANGUAGE[script], 0.95, f"written in {script.title()} script"
                if script == "CJK" and "HIRAGANA" not in scripts and "KATAKANA" not in scripts:
                    return "zh", 0.9, "written in Han characters without kana"
                return self._model(view, f"mostly {script.title()} script")
        hits = dict.fromkeys(_FUNCTION_WORDS, 0)
        for token in view.tokens:
            languages = _WORD_LANGUAGES.get(token)
            if languages:
                for lang in languages:
                    hits[lang] += 1
        ranked = sorted(hits.items(), key=lambda item: item[1], reverse=True)
        (best, best_hits), (_, second_hits) = ranked[0], ranked[1]
        if best_hits >= 2 and best_hits >= second_hits + 2:
            confidence = min(0.99, 0.6 + 0.1 * (best_hits - second_hits))
            return best, confidence, f"{best_hits} frequent {best} function words (next best {second_hits})"
        if best_hits >= 1 and second_hits == 0 and len(view.tokens) <= 6:
            return best, 0.55, f"a short text with only {best} function words"
        return self._model(view, "function words inconclusive")

    def _model(self, view: TextView, why: str) -> tuple[str, float, str]:
        language, probability = self._fallback_model().classify(view.text)
        if probability < self.min_model_confidence:
            return "und", float(probability), f"{why}; too little text for the character n-gram model to tell"
        return str(language), float(probability), f"{why}; character n-gram model (py3langid)"
