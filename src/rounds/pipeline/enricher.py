"""The :class:`Enricher`: loads every registered component once, then enriches posts one by one or in batches.

Components run in registration order over one shared :class:`~rounds.pipeline.text.TextView` per post. A
component that raises on a post is recorded in ``Enrichment.failures`` (name and error type, never post text)
and the other components still run; ``enrich_many`` never stops a batch for one bad post.

``enrich_many`` takes posts in chunks of ``BATCH_SIZE``: components with an ``apply_many`` (sentiment, intent)
score the whole chunk with one numpy call; the others run post by post. The results are the same as
``enrich`` post by post (a test checks it).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from itertools import islice

from rounds.domain.enrichment import ComponentFailure, Enrichment, Intent, trusted
from rounds.domain.posts import Post
from rounds.pipeline import components as _components  # noqa: F401  (registers the built-in components)
from rounds.pipeline.base import BatchComponent, Component, Draft, registered, versioned_name
from rounds.pipeline.text import TextView

logger = logging.getLogger(__name__)

MAX_TEXT_CHARS = 20_000
"""Longer texts are enriched on their first 20,000 characters (a 100 kB post must not stall a batch)."""

BATCH_SIZE = 256
"""Posts scored together by the components that have ``apply_many``."""

_NO_INTENT: tuple[Intent, ...] = (Intent.OTHER,)


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

    def _run(
        self, component: Component, post: Post, view: TextView, draft: Draft, failures: list[ComponentFailure]
    ) -> bool:
        try:
            component.apply(post, view, draft)
        except Exception as error:  # one failing component must not sink the post or the batch
            logger.warning(
                "enrichment component %s failed on post %s: %s",
                versioned_name(component),
                post.remote_id,
                type(error).__name__,
            )
            failures.append(ComponentFailure(component=versioned_name(component), error=type(error).__name__))
            return False
        return True

    def enrich(self, post: Post) -> Enrichment:
        view = TextView(post.text[:MAX_TEXT_CHARS])
        draft = Draft()
        failures: list[ComponentFailure] = []
        ran: dict[str, str] = {}
        for component in self.components:
            if self._run(component, post, view, draft, failures):
                ran[component.name] = component.version
        return _result(draft, ran, failures)

    def enrich_many(self, posts: Iterable[Post]) -> Iterator[Enrichment]:
        """Enrich posts in order; each post's failures are recorded on its own result."""
        iterator = iter(posts)
        while chunk := list(islice(iterator, BATCH_SIZE)):
            yield from self._enrich_chunk(chunk)

    def _enrich_chunk(self, posts: list[Post]) -> list[Enrichment]:
        views = [TextView(post.text[:MAX_TEXT_CHARS]) for post in posts]
        drafts = [Draft() for _ in posts]
        failures: list[list[ComponentFailure]] = [[] for _ in posts]
        ran: list[dict[str, str]] = [{} for _ in posts]
        for component in self.components:
            name, version = component.name, component.version
            apply_many = getattr(component, "apply_many", None)
            if apply_many is not None and self._run_batch(component, posts, views, drafts):  # type: ignore[arg-type]
                for done in ran:
                    done[name] = version
                continue
            for post, view, draft, failed, done in zip(posts, views, drafts, failures, ran, strict=True):
                if self._run(component, post, view, draft, failed):
                    done[name] = version
        return [_result(d, r, f) for d, r, f in zip(drafts, ran, failures, strict=True)]

    @staticmethod
    def _run_batch(
        component: BatchComponent, posts: list[Post], views: list[TextView], drafts: list[Draft]
    ) -> bool:
        """Run ``apply_many``; on an exception restore the drafts and report False (post by post follows)."""
        saved = [(draft.__dict__.copy(), len(draft.explanations)) for draft in drafts]
        try:
            component.apply_many(posts, views, drafts)
        except Exception as error:
            logger.info(
                "enrichment component %s failed on a batch (%s); retrying post by post",
                versioned_name(component),
                type(error).__name__,
            )
            for draft, (fields, explained) in zip(drafts, saved, strict=True):
                explanations = draft.explanations
                del explanations[explained:]
                draft.__dict__.update(fields)
                draft.explanations = explanations
            return False
        return True


def _result(draft: Draft, ran: dict[str, str], failures: list[ComponentFailure]) -> Enrichment:
    """The frozen result, built without re-validating what the components already typed (hot loop)."""
    influence = draft.influence
    values = {
        "language": draft.language,
        "language_confidence": round(draft.language_confidence, 4),
        "sentiment": draft.sentiment,
        "sentiment_scores": draft.sentiment_scores,
        "intents": tuple(draft.intents) if draft.intents else _NO_INTENT,
        "intent_scores": draft.intent_scores,
        "author_kind": draft.author_kind,
        "influence": 0.0 if influence < 0.0 else 100.0 if influence > 100.0 else float(influence),
        "components": ran,
        "explanations": tuple(draft.explanations),
        "failures": tuple(failures),
    }
    return trusted(Enrichment, values)
