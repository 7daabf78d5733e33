"""Sentiment: ``enrich.sentiment.v1``, a linear model over the shared sentiment features.

Trained by ``scripts/train_sentiment.py`` on SemEval-2013..2016 Twitter sentiment (TweetEval format) and NHS
patient feedback; the model file ``data/sentiment.v1.json.gz`` holds its weights and its measured dev figures
(``meta``). Features are counted, so a post's score is the bias plus, for every token, the cached sum of the
weights of the token and its character n-grams, plus the weights of its bigrams: the same arithmetic as
training, done with one dictionary look-up per token for words seen before.
"""

from __future__ import annotations

import heapq
from typing import ClassVar

from rounds.domain.enrichment import Explanation, Sentiment
from rounds.domain.posts import Post
from rounds.pipeline.base import Draft, register
from rounds.pipeline.linear import LinearModel, load_model, softmax
from rounds.pipeline.text import TextView, bigrams, token_features

_CACHE_LIMIT = 300_000


@register
class SentimentComponent:
    name: ClassVar[str] = "sentiment"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ("sentiment", "sentiment_scores")

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model or load_model("sentiment.v1.json.gz")
        self._classes = tuple(Sentiment(c) for c in self.model.classes)
        self._bias = tuple(float(b) for b in self.model.bias)
        self._width = len(self._classes)
        self._token_cache: dict[str, tuple[float, ...]] = {}
        self._bigram: dict[str, tuple[float, ...]] = {
            feature: self.model.weight(feature) for feature in self.model.index if " " in feature
        }

    def _token(self, token: str) -> tuple[float, ...]:
        vector = self._token_cache.get(token)
        if vector is None:
            sums = [0.0] * self._width
            index, matrix = self.model.index, self.model.matrix
            for feature in token_features(token):
                row = index.get(feature)
                if row is not None:
                    for k in range(self._width):
                        sums[k] += float(matrix[row, k])
            vector = tuple(sums)
            if len(self._token_cache) >= _CACHE_LIMIT:
                self._token_cache.clear()
            self._token_cache[token] = vector
        return vector

    def raw_scores(self, marked: list[str]) -> tuple[list[float], dict[str, tuple[float, ...]]]:
        """Decision values per class, and each distinct token's (or bigram's) weight vector for explanations."""
        token = self._token
        parts: dict[str, tuple[float, ...]] = {}
        vectors: list[tuple[float, ...]] = [self._bias]
        for word in marked:
            vector = token(word)
            parts[word] = vector
            vectors.append(vector)
        bigram_weights = self._bigram
        for pair in bigrams(marked):
            pair_vector = bigram_weights.get(pair)
            if pair_vector is not None:
                parts[pair] = pair_vector
                vectors.append(pair_vector)
        return list(map(sum, zip(*vectors, strict=True))), parts

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        component = f"enrich.{self.name}.{self.version}"
        marked = view.marked
        if not marked:
            draft.sentiment = Sentiment.NEUTRAL
            draft.sentiment_scores = {
                c.value: (1.0 if c is Sentiment.NEUTRAL else 0.0) for c in self._classes
            }
            draft.explanations.append(
                Explanation(
                    component=component,
                    decision=Sentiment.NEUTRAL.value,
                    reason="no words or emoticons to judge; neutral by default",
                )
            )
            return
        raw, parts = self.raw_scores(marked)
        best = max(range(self._width), key=raw.__getitem__)
        probabilities = softmax(raw)
        draft.sentiment = self._classes[best]
        draft.sentiment_scores = {
            c.value: round(p, 4) for c, p in zip(self._classes, probabilities, strict=True)
        }
        # Evidence: the words (or word pairs) whose weights favour the decision most over the other classes.
        others = [k for k in range(self._width) if k != best]
        lean = [(vector[best] - max([vector[k] for k in others]), part) for part, vector in parts.items()]
        evidence = [part.replace("neg_", "not ") for value, part in heapq.nlargest(3, lean) if value > 0]
        draft.explanations.append(
            Explanation(
                component=component,
                decision=draft.sentiment.value,
                score=round(probabilities[best], 3),
                reason=f"linear model on words, word pairs and word parts; {draft.sentiment.value} scored highest",
                evidence=tuple(evidence),
            )
        )
