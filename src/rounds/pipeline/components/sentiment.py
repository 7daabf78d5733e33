"""Sentiment: ``enrich.sentiment.v1``, a linear model over the shared sentiment features.

Trained by ``scripts/train_sentiment.py`` on SemEval-2013..2016 Twitter sentiment (TweetEval format); the model
file ``data/sentiment.v1.json.gz`` holds its weights and its measured dev figures (``meta``).
"""

from __future__ import annotations

from typing import ClassVar

from rounds.domain.enrichment import Explanation, Sentiment
from rounds.domain.posts import Post
from rounds.pipeline.base import Draft, register
from rounds.pipeline.linear import LinearModel, load_model, softmax
from rounds.pipeline.text import TextView


def _readable(feature: str) -> str:
    if feature.startswith("c:"):
        return "letters '" + feature[2:].strip("^$") + "'"
    return feature.replace("neg_", "not ")


@register
class SentimentComponent:
    name: ClassVar[str] = "sentiment"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ("sentiment", "sentiment_scores")

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model or load_model("sentiment.v1.json.gz")
        self._classes = tuple(Sentiment(c) for c in self.model.classes)

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        features = view.sentiment_features
        if not features:
            draft.sentiment = Sentiment.NEUTRAL
            draft.sentiment_scores = {
                c.value: (1.0 if c is Sentiment.NEUTRAL else 0.0) for c in self._classes
            }
            draft.explanations.append(
                Explanation(
                    component=f"enrich.{self.name}.{self.version}",
                    decision=Sentiment.NEUTRAL.value,
                    reason="no words or emoticons to judge; neutral by default",
                )
            )
            return
        raw = self.model.scores(features)
        best = max(range(len(raw)), key=raw.__getitem__)
        probabilities = softmax(raw)
        draft.sentiment = self._classes[best]
        draft.sentiment_scores = {
            c.value: round(p, 4) for c, p in zip(self._classes, probabilities, strict=True)
        }
        cues = [_readable(f) for f in self.model.top_features(features, best)]
        draft.explanations.append(
            Explanation(
                component=f"enrich.{self.name}.{self.version}",
                decision=draft.sentiment.value,
                score=round(probabilities[best], 3),
                reason=f"linear model on words and word parts; {draft.sentiment.value} scored highest",
                evidence=tuple(cues),
            )
        )
