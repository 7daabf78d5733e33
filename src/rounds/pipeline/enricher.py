"""The :class:`Enricher`: loads every registered component once, then enriches posts one by one or in batches.

Components run in registration order over one shared :class:`~rounds.pipeline.text.TextView` per post. A
component that raises on a post is recorded in ``Enrichment.failures`` (name and error type, never post text)
and the other components still run; ``enrich_many`` never stops a batch for one bad post.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence

from rounds.domain.enrichment import ComponentFailure, Enrichment
from rounds.domain.posts import Post
from rounds.pipeline import components as _components  # noqa: F401  (registers the built-in components)
from rounds.pipeline.base import Component, Draft, registered, versioned_name
from rounds.pipeline.text import TextView

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
"""Longer texts are enriched on their first 20,000 characters (a 100 kB post must not stall a batch)."""


class Enricher:
    def __init__(self, names: Sequence[str] | None = None) -> None:
        available = registered()
        wanted = list(available) if names is None else list(names)
        unknown = [n for n in wanted if n not in available]
        if unknown:
            raise ValueError(f"unknown enrichment components: {', '.join(unknown)}")
        self.components: list[Component] = [cls() for name, cls in available.items() if name in wanted]

    @property
    def versions(self) -> dict[str, str]:
        return {c.name: c.version for c in self.components}

    @property
    def versioned_names(self) -> list[str]:
        return [versioned_name(c) for c in self.components]

    def enrich(self, post: Post) -> Enrichment:
        view = TextView(post.text[:MAX_TEXT_CHARS])
        draft = Draft()
        failures: list[ComponentFailure] = []
        ran: dict[str, str] = {}
        for component in self.components:
            try:
                component.apply(post, view, draft)
            except Exception as error:  # one failing component must not sink the post or the batch
                logger.warning(
                    "enrichment component %s failed on post %s: %s",
                    versioned_name(component),
                    post.remote_id,
                    type(error).__name__,
                )
                failures.append(
                    ComponentFailure(component=versioned_name(component), error=type(error).__name__)
                )
                continue
            ran[component.name] = component.version
        return Enrichment(
            language=draft.language,
            language_confidence=round(draft.language_confidence, 4),
            sentiment=draft.sentiment,
            sentiment_scores=draft.sentiment_scores,
            intents=tuple(draft.intents) if draft.intents else Enrichment.model_fields["intents"].default,
            intent_scores=draft.intent_scores,
            author_kind=draft.author_kind,
            influence=max(0.0, min(100.0, draft.influence)),
            components=ran,
            explanations=tuple(draft.explanations),
            failures=tuple(failures),
        )

    def enrich_many(self, posts: Iterable[Post]) -> Iterator[Enrichment]:
        """Enrich posts in order; each post's failures are recorded on its own result."""
        for post in posts:
            yield self.enrich(post)
