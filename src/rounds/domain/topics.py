"""Topics: saved Boolean queries over posts, a parser with positioned errors, and a matcher.

The query language::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*          # juxtaposition means AND
    unary   := ("NOT" | "-") unary | "(" or ")" | term
    term    := word | word* | "a phrase" | #hashtag | @mention | field:value | field:"a value"
    field   := lang | platform | author

Operators are upper case (``AND``, ``OR``, ``NOT``); lower-case ``and``/``or``/``not`` are words. Matching is
case-insensitive and on whole words: ``nurse`` matches "Nurse!" but not "nursery"; ``nurs*`` matches both. A
plain word also matches the same hashtag (``measles`` matches "#measles"); ``#measles`` matches only the
hashtag. ``@mention`` matches a mention in the text or the author's handle. ``lang:en`` matches ``en`` and
``en-GB``; ``platform:x`` the platform; ``author:name`` the author's handle or name.

Errors are :class:`TopicQueryError` (a ``ValidationFailed``) whose message names the 1-based position.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from rounds.domain.errors import ValidationFailed
from rounds.domain.posts import Post

MAX_QUERY_CHARS = 4000
MAX_TERMS = 300
FIELDS = ("lang", "platform", "author")


class TopicKind(StrEnum):
    BRAND = "brand"
    CLINICIAN = "clinician"
    COMPETITOR = "competitor"
    SERVICE_LINE = "service_line"
    PUBLIC_HEALTH = "public_health"

    @classmethod
    def parse(cls, value: str) -> TopicKind:
        key = value.strip().lower().replace("-", "_").replace(" ", "_")
        try:
            return cls(key)
        except ValueError:
            allowed = ", ".join(kind.value for kind in cls)
            raise ValidationFailed(
                f"Unknown topic type {value!r}.",
                hint=f"Choose one of: {allowed}.",
                details=[{"field": "kind", "message": "unknown topic type"}],
            ) from None


class TopicQueryError(ValidationFailed):
    """An invalid topic query; ``position`` is 1-based (0 when the whole query is at fault)."""

    def __init__(self, message: str, position: int, hint: str = "") -> None:
        where = f" at position {position}" if position else ""
        super().__init__(
            f"Invalid topic query: {message}{where}.",
            hint=hint
            or 'Combine words, "phrases", #hashtags, @mentions and lang:/platform:/author: with AND, OR, NOT '
            "and parentheses.",
            details=[{"field": "query", "position": position, "message": message}],
        )
        self.position = position


# --- what a post looks like to the matcher ---------------------------------------------------------------------

_TOKEN = re.compile(r"[#@]?[\w]+(?:['’][\w]+)*", re.UNICODE)


def _fold(text: str) -> str:
    """Lower case without diacritics (``Café`` -> ``cafe``), so queries match either spelling."""
    lowered = text.casefold()
    if lowered.isascii():
        return lowered
    decomposed = unicodedata.normalize("NFKD", lowered)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class MatchDocument:
    """A post prepared once for matching against every topic."""

    words: tuple[str, ...]
    word_set: frozenset[str]
    hashtags: frozenset[str]
    mentions: frozenset[str]
    language: str
    platform: str
    authors: frozenset[str]

    @classmethod
    def of(cls, post: Post, language: str | None = None) -> MatchDocument:
        text = post.text if not post.title else f"{post.title}\n{post.text}"
        words: list[str] = []
        hashtags: set[str] = set()
        mentions: set[str] = set()
        for token in _TOKEN.findall(_fold(text)):
            if token[0] == "#":
                hashtags.add(token[1:])
                words.append(token[1:])
            elif token[0] == "@":
                mentions.add(token[1:])
                words.append(token[1:])
            else:
                words.append(token)
        authors: set[str] = set()
        for value in (post.author.handle, post.author.name):
            if value:
                folded = _fold(value).strip().lstrip("@")
                authors.add(folded)
                if value.strip().startswith("@") or post.author.handle == value:
                    mentions.add(folded)
        return cls(
            words=tuple(words),
            word_set=frozenset(words),
            hashtags=frozenset(hashtags),
            mentions=frozenset(mentions),
            language=(language or post.language or "und").lower(),
            platform=post.platform.lower(),
            authors=frozenset(authors),
        )


# --- the query tree -------------------------------------------------------------------------------------------


class Node(Protocol):
    def matches(self, doc: MatchDocument) -> bool: ...

    def render(self) -> str: ...

    def positive_terms(self) -> int: ...


@dataclass(frozen=True)
class Word:
    value: str
    prefix: bool = False

    def matches(self, doc: MatchDocument) -> bool:
        if self.prefix:
            return any(word.startswith(self.value) for word in doc.word_set)
        return self.value in doc.word_set

    def render(self) -> str:
        return self.value + ("*" if self.prefix else "")

    def positive_terms(self) -> int:
        return 1


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]

    def matches(self, doc: MatchDocument) -> bool:
        size = len(self.words)
        if size == 0:
            return False
        if not set(self.words) <= doc.word_set:
            return False
        first = self.words[0]
        words = doc.words
        for index in range(len(words) - size + 1):
            if words[index] == first and words[index : index + size] == self.words:
                return True
        return False

    def render(self) -> str:
        return '"' + " ".join(self.words) + '"'

    def positive_terms(self) -> int:
        return 1


@dataclass(frozen=True)
class Hashtag:
    value: str

    def matches(self, doc: MatchDocument) -> bool:
        return self.value in doc.hashtags

    def render(self) -> str:
        return "#" + self.value

    def positive_terms(self) -> int:
        return 1


@dataclass(frozen=True)
class Mention:
    value: str

    def matches(self, doc: MatchDocument) -> bool:
        return self.value in doc.mentions

    def render(self) -> str:
        return "@" + self.value

    def positive_terms(self) -> int:
        return 1


@dataclass(frozen=True)
class FieldTerm:
    name: str
    value: str

    def matches(self, doc: MatchDocument) -> bool:
        if self.name == "lang":
            return doc.language == self.value or doc.language.startswith(self.value + "-")
        if self.name == "platform":
            return doc.platform == self.value
        return self.value in doc.authors

    def render(self) -> str:
        value = f'"{self.value}"' if " " in self.value else self.value
        return f"{self.name}:{value}"

    def positive_terms(self) -> int:
        return 1


@dataclass(frozen=True)
class Not:
    child: Node

    def matches(self, doc: MatchDocument) -> bool:
        return not self.child.matches(doc)

    def render(self) -> str:
        return "NOT " + self.child.render()

    def positive_terms(self) -> int:
        return 0


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def matches(self, doc: MatchDocument) -> bool:
        return all(child.matches(doc) for child in self.children)

    def render(self) -> str:
        return "(" + " AND ".join(child.render() for child in self.children) + ")"

    def positive_terms(self) -> int:
        return sum(child.positive_terms() for child in self.children)


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def matches(self, doc: MatchDocument) -> bool:
        return any(child.matches(doc) for child in self.children)

    def render(self) -> str:
        return "(" + " OR ".join(child.render() for child in self.children) + ")"

    def positive_terms(self) -> int:
        # every branch must be able to match on its own: "a OR NOT b" matches almost everything
        return min(child.positive_terms() for child in self.children)


# --- tokenizer and parser -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # LPAREN RPAREN AND OR NOT TERM PHRASE
    text: str
    position: int  # 1-based
    field_name: str | None = None


_BARE_STOP = set(' \t\r\n()"')


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    length = len(query)
    while index < length:
        char = query[index]
        if char.isspace():
            index += 1
            continue
        position = index + 1
        if char == "(":
            tokens.append(_Token("LPAREN", char, position))
            index += 1
            continue
        if char == ")":
            tokens.append(_Token("RPAREN", char, position))
            index += 1
            continue
        if char == '"':
            end = query.find('"', index + 1)
            if end < 0:
                raise TopicQueryError("unterminated quotation mark", position, 'Close the phrase with a ".')
            tokens.append(_Token("PHRASE", query[index + 1 : end], position))
            index = end + 1
            continue
        if char == "-" and index + 1 < length and query[index + 1] not in _BARE_STOP:
            tokens.append(_Token("NOT", "-", position))
            index += 1
            continue
        start = index
        while index < length and query[index] not in _BARE_STOP:
            if query[index] == ":" and index + 1 < length and query[index + 1] == '"':
                break
            index += 1
        bare = query[start:index]
        if index < length and query[index] == ":":
            # field:"quoted value"
            end = query.find('"', index + 2)
            if end < 0:
                raise TopicQueryError("unterminated quotation mark", index + 2, 'Close the value with a ".')
            tokens.append(_Token("TERM", query[index + 2 : end], position, field_name=bare))
            index = end + 1
            continue
        if bare in ("AND", "OR", "NOT"):
            tokens.append(_Token(bare, bare, position))
            continue
        if ":" in bare and bare.split(":", 1)[0].isalpha():
            name, value = bare.split(":", 1)
            tokens.append(_Token("TERM", value, position, field_name=name))
            continue
        tokens.append(_Token("TERM", bare, position))
    return tokens


class _Parser:
    def __init__(self, query: str) -> None:
        self.query = query
        self.tokens = _tokenize(query)
        self.index = 0
        self.terms = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def end_position(self) -> int:
        return len(self.query) + 1

    def parse(self) -> Node:
        if not self.tokens:
            raise TopicQueryError("the query is empty", 0, "Enter at least one word, phrase or #hashtag.")
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            if token.kind == "RPAREN":
                raise TopicQueryError("unmatched closing parenthesis", token.position)
            raise TopicQueryError(f"unexpected {token.text!r}", token.position)
        return node

    def parse_or(self) -> Node:
        children = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            children.append(self.parse_and(after=token))
        return children[0] if len(children) == 1 else Or(tuple(children))

    def parse_and(self, after: _Token | None = None) -> Node:
        children = [self.parse_unary(after)]
        while (token := self.peek()) is not None and token.kind not in ("OR", "RPAREN"):
            if token.kind == "AND":
                self.take()
                children.append(self.parse_unary(token))
            else:
                children.append(self.parse_unary(None))
        return children[0] if len(children) == 1 else And(tuple(children))

    def parse_unary(self, after: _Token | None) -> Node:
        token = self.peek()
        if token is None:
            if after is not None:
                raise TopicQueryError(
                    f"{after.text} needs something after it", after.position, "Add a term or remove it."
                )
            raise TopicQueryError("the query ends too early", self.end_position())
        if token.kind in ("AND", "OR"):
            what = f"after {after.text}" if after is not None else "at the start"
            raise TopicQueryError(f"{token.text} cannot come {what}", token.position)
        if token.kind == "RPAREN":
            if after is not None:
                raise TopicQueryError(f"{after.text} needs something after it", after.position)
            raise TopicQueryError("empty parentheses or an unmatched closing parenthesis", token.position)
        self.take()
        if token.kind == "NOT":
            return Not(self.parse_unary(token))
        if token.kind == "LPAREN":
            if self.peek() is None:
                raise TopicQueryError("unclosed parenthesis", token.position, "Add the missing ')'.")
            node = self.parse_or()
            closing = self.peek()
            if closing is None or closing.kind != "RPAREN":
                raise TopicQueryError("unclosed parenthesis", token.position, "Add the missing ')'.")
            self.take()
            return node
        return self.term(token)

    def term(self, token: _Token) -> Node:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise TopicQueryError(f"more than {MAX_TERMS} terms", token.position, "Split it into topics.")
        if token.kind == "PHRASE":
            words = tuple(word.lstrip("#@") for word in _TOKEN.findall(_fold(token.text)))
            if not words:
                raise TopicQueryError("empty phrase", token.position, 'Put words between the quotes: "a b".')
            return Phrase(words) if len(words) > 1 else Word(words[0])
        if token.field_name is not None:
            name = token.field_name.lower()
            if name not in FIELDS:
                raise TopicQueryError(
                    f"unknown field {token.field_name!r}",
                    token.position,
                    f"Known fields: {', '.join(f + ':' for f in FIELDS)}.",
                )
            value = _fold(token.text.strip()).lstrip("@")
            if not value:
                raise TopicQueryError(f"{name}: needs a value", token.position, f"For example {name}:en.")
            return FieldTerm(name, value)
        text = token.text
        if text[0] in "#@":
            body = _fold(text[1:])
            if not body or not _TOKEN.fullmatch(body):
                label = "hashtag" if text[0] == "#" else "mention"
                raise TopicQueryError(f"{text!r} is not a valid {label}", token.position)
            return Hashtag(body) if text[0] == "#" else Mention(body)
        prefix = text.endswith("*")
        core = _fold(text.rstrip("*"))
        pieces: list[str] = _TOKEN.findall(core)
        if not pieces:
            raise TopicQueryError(f"{text!r} has no letters or digits to match", token.position)
        if prefix:
            if len(pieces) != 1 or len(pieces[0]) < 3:
                raise TopicQueryError(
                    "a wildcard needs at least 3 letters before the *", token.position, "For example vacc*."
                )
            return Word(pieces[0], prefix=True)
        if len(pieces) > 1:  # e.g. covid-19 or e.coli: the words in sequence
            return Phrase(tuple(pieces))
        return Word(pieces[0])


@dataclass(frozen=True)
class TopicQuery:
    """A parsed, validated query. ``canonical`` renders it with explicit operators and parentheses."""

    text: str
    root: Node
    canonical: str = field(default="")

    def matches(self, doc: MatchDocument) -> bool:
        return self.root.matches(doc)

    def matches_post(self, post: Post, language: str | None = None) -> bool:
        return self.root.matches(MatchDocument.of(post, language))


def parse_query(text: str) -> TopicQuery:
    """Parse and validate a topic query; raises :class:`TopicQueryError` naming the position."""
    if len(text) > MAX_QUERY_CHARS:
        raise TopicQueryError(f"the query is longer than {MAX_QUERY_CHARS} characters", 0)
    root = _Parser(text).parse()
    if root.positive_terms() == 0:
        raise TopicQueryError(
            "the query has no term that must be present (only NOT terms would match nearly every post)",
            0,
            "Add a word, phrase or #hashtag the posts must contain.",
        )
    return TopicQuery(text=text.strip(), root=root, canonical=root.render())


class ListeningAuditAction(StrEnum):
    """Audit names for listening changes made by people (stable, never reused).

    Until ``rounds.domain.audit.AuditAction`` lists them, services record these names as they are.
    """

    TOPIC_CREATED = "topic.created"
    TOPIC_UPDATED = "topic.updated"
    TOPIC_BACKFILLED = "topic.backfilled"
    ALERT_RULE_CREATED = "alert_rule.created"
    ALERT_RULE_UPDATED = "alert_rule.updated"
    ALERT_ACKNOWLEDGED = "alert.acknowledged"
    CONNECTOR_SOURCE_CREATED = "connector_source.created"
    CONNECTOR_SOURCE_UPDATED = "connector_source.updated"
    CONNECTOR_CREDENTIALS_CHANGED = "connector_source.credentials_changed"
    IMPORT_COMPLETED = "listening.import_completed"
    LISTEN_RUN_COMPLETED = "listening.run_completed"
    QUARANTINE_RESOLVED = "quarantine.resolved"
