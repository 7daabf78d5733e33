"""The one shape every enrichment component has, and the one registry they are listed in.

A component is a class with a ``name`` and a ``version`` (together ``enrich.<name>.<version>``), what it
``requires`` from earlier components and what it ``assigns``; it loads its resources once in ``__init__`` and
then ``apply`` reads the shared :class:`~rounds.pipeline.text.TextView` and writes into a :class:`Draft`,
adding an :class:`~rounds.domain.enrichment.Explanation` for every decision. Adding a component is one class and
one ``@register`` line (CONVENTIONS.md 4-6).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

from rounds.domain.enrichment import AuthorKind, Explanation, Intent, Sentiment
from rounds.domain.posts import Post
from rounds.pipeline.text import TextView


@dataclass
class Draft:
    """The enrichment being built for one post; components fill it in order."""

    language: str = "und"
    language_confidence: float = 0.0
    sentiment: Sentiment = Sentiment.NEUTRAL
    sentiment_scores: dict[str, float] = field(default_factory=dict)
    intents: list[Intent] = field(default_factory=list)
    intent_scores: dict[str, float] = field(default_factory=dict)
    author_kind: AuthorKind = AuthorKind.PATIENT_PUBLIC
    influence: float = 0.0
    explanations: list[Explanation] = field(default_factory=list)


class Component(Protocol):
    name: ClassVar[str]
    version: ClassVar[str]
    requires: ClassVar[tuple[str, ...]]
    assigns: ClassVar[tuple[str, ...]]

    def apply(self, post: Post, view: TextView, draft: Draft) -> None: ...


class BatchComponent(Component, Protocol):
    """A component that can also take a whole batch at once (one numpy call instead of one per post).

    ``apply_many`` must leave every draft exactly as ``apply`` would have, post by post. When it raises, the
    enricher undoes its partial writes to the batch and falls back to ``apply`` post by post, so one bad post
    is still recorded on its own result.
    """

    def apply_many(
        self, posts: Sequence[Post], views: Sequence[TextView], drafts: Sequence[Draft]
    ) -> None: ...


ComponentFactory = Callable[[], Component]

_REGISTRY: dict[str, type[Component]] = {}


def register(cls: type[Component]) -> type[Component]:
    """Class decorator: list a component under its name. One name, one current version."""
    if cls.name in _REGISTRY and _REGISTRY[cls.name] is not cls:
        raise ValueError(f"enrichment component {cls.name!r} is registered twice")
    _REGISTRY[cls.name] = cls
    return cls


def registered() -> dict[str, type[Component]]:
    """Registered components by name, in run order: by name, each after the components it ``requires``."""
    ordered: dict[str, type[Component]] = {}

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in ordered:
            return
        if name in path:
            raise ValueError(f"enrichment components require each other in a cycle: {' -> '.join(path)}")
        cls = _REGISTRY[name]
        for needed in cls.requires:
            if needed in _REGISTRY:
                visit(needed, (*path, name))
        ordered[name] = cls

    for name in sorted(_REGISTRY):
        visit(name, ())
    return ordered


def versioned_name(cls: type[Component] | Component) -> str:
    return f"enrich.{cls.name}.{cls.version}"
