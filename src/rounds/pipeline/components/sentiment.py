"""Sentiment: ``enrich.sentiment.v2``, a linear model over the shared sentiment features.

Trained by ``scripts/train_sentiment.py`` on SemEval-2013..2016 Twitter sentiment (TweetEval format) and NHS
patient feedback; the model file ``data/sentiment.v2.json.gz`` holds its weights and its measured dev figures
(``meta``). v2 is the average of a multinomial logistic regression (v1 was that alone) and an NB-LR, which is
again one weight table, so it costs the same as v1. Features are counted, so a post's score is the bias plus, for every token, the summed weights of the
token and its character n-grams, plus the weights of its bigrams: the same arithmetic as training.

Every token and every bigram the model knows gets a row in one table (``_table``: part -> weight vector, and
``_lean``: how far the part favours each class over the others, for explanations). A token is added the first
time it is seen, so a post costs one dictionary look-up per token and per bigram. ``apply`` sums the rows in
Python (one post); ``apply_many`` gathers the row ids of a whole batch and sums them with numpy in one call.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from numpy.typing import NDArray
from scipy import sparse

from rounds.domain.enrichment import Sentiment, explanation
from rounds.domain.posts import Post
from rounds.pipeline.base import Draft, register
from rounds.pipeline.linear import LinearModel, load_model
from rounds.pipeline.text import TextView, bigrams, token_features

_TOKEN_LIMIT = 300_000
"""Distinct tokens remembered; past that the learned-token part of the table is dropped and rebuilt lazily."""


@register
class SentimentComponent:
    name: ClassVar[str] = "sentiment"
    version: ClassVar[str] = "v2"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ("sentiment", "sentiment_scores")

    reason: ClassVar[str] = "linear models on words, word pairs and word parts; {} scored highest"

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model or load_model(f"sentiment.{self.version}.json.gz")
        self._classes = tuple(Sentiment(c) for c in self.model.classes)
        self._values = tuple(c.value for c in self._classes)
        self._bias = tuple(float(b) for b in self.model.bias)
        self._bias_array = np.asarray(self._bias, dtype=np.float64)
        self._width = len(self._classes)
        self._component = f"enrich.{self.name}.{self.version}"
        self._reasons = tuple(self.reason.format(value) for value in self._values)
        known_pairs = [feature for feature in self.model.index if " " in feature]
        self._bigram_count = len(known_pairs)
        self._parts: list[str] = []
        self._ids: dict[str, int] = {}
        self._vectors: list[tuple[float, ...]] = []
        self._leans: list[tuple[float, ...]] = []
        for pair in known_pairs:
            self._add(pair, self.model.weight(pair))
        self._table = np.zeros((max(1024, 2 * len(self._vectors)), self._width), dtype=np.float64)
        self._lean_table = np.zeros_like(self._table)
        self._synced = 0

    def _add(self, part: str, vector: tuple[float, ...]) -> int:
        index = len(self._vectors)
        self._ids[part] = index
        self._parts.append(part)
        self._vectors.append(vector)
        self._leans.append(
            tuple(
                vector[k] - max([vector[j] for j in range(self._width) if j != k]) for k in range(self._width)
            )
        )
        return index

    def _learn(self, tokens: set[str]) -> None:
        """Add rows for a batch's new tokens with one sparse (tokens x features) @ weights product.

        Each row's features stay in :func:`token_features` order and CSR products accumulate in index order
        from 0, so every sum is bit-identical to :meth:`_token`'s.
        """
        if not tokens or len(self._vectors) - self._bigram_count + len(tokens) >= _TOKEN_LIMIT:
            return  # nothing new, or let _token handle the table reset one token at a time
        index = self.model.index
        fresh = sorted(tokens)
        columns: list[int] = []
        indptr = [0]
        for token in fresh:
            columns.extend([row for row in map(index.get, token_features(token)) if row is not None])
            indptr.append(len(columns))
        matrix = self.model.matrix
        counts = sparse.csr_matrix(
            (np.ones(len(columns), dtype=np.float64), np.asarray(columns, dtype=np.int64), indptr),
            shape=(len(fresh), matrix.shape[0]),
        )
        vectors = np.asarray(counts @ matrix)
        for token, vector in zip(fresh, vectors.tolist(), strict=True):
            self._add(token, tuple(vector))

    def _token(self, token: str) -> int:
        known = self._ids.get(token)  # a new word that occurs twice in one post
        if known is not None:
            return known
        if len(self._vectors) - self._bigram_count >= _TOKEN_LIMIT:
            self._forget_tokens()
        # The token's own weights and its character n-grams', summed in feature order (as in training's check).
        rows = self.model.rows
        found = [row for row in map(rows.get, token_features(token)) if row is not None]
        sums = [0.0] * self._width
        for row in found:
            for k in range(self._width):
                sums[k] += row[k]
        return self._add(token, tuple(sums))

    def _forget_tokens(self) -> None:
        keep = self._bigram_count
        for part in list(self._ids):
            if self._ids[part] >= keep:
                del self._ids[part]
        del self._parts[keep:], self._vectors[keep:], self._leans[keep:]
        self._synced = min(self._synced, keep)

    def ids(self, marked: list[str], pairs: list[str] | None = None) -> list[int]:
        """Row ids of a post's tokens (every occurrence) and then of its known bigrams (``pairs``: the
        post's bigrams when already computed, as :attr:`TextView.bigrams`)."""
        get = self._ids.get
        ids = [get(token) for token in marked]
        if None in ids:
            ids = [
                self._token(token) if found is None else found
                for token, found in zip(marked, ids, strict=True)
            ]
        if pairs is None:
            pairs = bigrams(marked)
        ids.extend([found for found in map(get, pairs) if found is not None])
        return ids  # type: ignore[return-value]  # every None was replaced above

    def raw_scores(self, marked: list[str]) -> list[float]:
        """Decision values per class (bias + every token's and known bigram's weights)."""
        vectors = self._vectors
        return list(map(sum, zip(self._bias, *[vectors[i] for i in self.ids(marked)], strict=True)))

    def _evidence(self, ids: Sequence[int], best: int) -> tuple[str, ...]:
        """Up to three distinct parts that favour the decision most over the other classes."""
        leans, parts = self._leans, self._parts
        candidates = {(leans[i][best], i) for i in ids if leans[i][best] > 0}
        if not candidates:
            return ()
        top = heapq.nlargest(3, ((value, parts[i]) for value, i in candidates))
        return tuple(part.replace("neg_", "not ") for _, part in top)

    def _decide(
        self, draft: Draft, raw: Sequence[float], ids: Sequence[int], evidence: tuple[str, ...] | None = None
    ) -> None:
        best = max(range(self._width), key=raw.__getitem__)
        top = raw[best]
        exps = [math.exp(v - top) for v in raw]
        total = sum(exps)
        draft.sentiment = self._classes[best]
        draft.sentiment_scores = {
            value: round(e / total, 4) for value, e in zip(self._values, exps, strict=True)
        }
        draft.explanations.append(
            explanation(
                component=self._component,
                decision=self._values[best],
                score=round(exps[best] / total, 3),
                reason=self._reasons[best],
                evidence=self._evidence(ids, best) if evidence is None else evidence,
            )
        )

    def _neutral(self, draft: Draft) -> None:
        draft.sentiment = Sentiment.NEUTRAL
        draft.sentiment_scores = {c.value: (1.0 if c is Sentiment.NEUTRAL else 0.0) for c in self._classes}
        draft.explanations.append(
            explanation(
                component=self._component,
                decision=Sentiment.NEUTRAL.value,
                reason="no words or emoticons to judge; neutral by default",
            )
        )

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        marked = view.marked
        if not marked:
            self._neutral(draft)
            return
        ids = self.ids(marked, view.bigrams)
        vectors = self._vectors
        # Summed in the same order as in training's check and in apply_many: bias, tokens, bigrams.
        raw = list(map(sum, zip(self._bias, *[vectors[i] for i in ids], strict=True)))
        self._decide(draft, raw, ids)

    def _sync(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """The numpy copies of the row tables, extended with the rows added since the last batch."""
        size = len(self._vectors)
        if size > len(self._table):
            grown = np.zeros((2 * size, self._width), dtype=np.float64)
            grown[: self._synced] = self._table[: self._synced]
            self._table = grown
            grown = np.zeros((2 * size, self._width), dtype=np.float64)
            grown[: self._synced] = self._lean_table[: self._synced]
            self._lean_table = grown
        if size > self._synced:
            self._table[self._synced : size] = self._vectors[self._synced : size]
            self._lean_table[self._synced : size] = self._leans[self._synced : size]
            self._synced = size
        return self._table, self._lean_table

    def apply_many(self, posts: Sequence[Post], views: Sequence[TextView], drafts: Sequence[Draft]) -> None:
        """The batch form of :meth:`apply`: one numpy gather-and-sum for all posts' rows, and the evidence
        candidates of every post ranked in one sort."""
        self._learn({token for view in views for token in view.marked if token not in self._ids})
        batch: list[list[int]] = []
        for view in views:
            marked = view.marked
            batch.append(self.ids(marked, view.bigrams) if marked else [])
        flat = [i for ids in batch for i in ids]
        if not flat:
            for draft in drafts:
                self._neutral(draft)
            return
        table, lean_table = self._sync()
        rows = np.asarray(flat, dtype=np.int64)
        lengths = np.fromiter(map(len, batch), dtype=np.int64, count=len(batch))
        post_of_row = np.repeat(np.arange(len(batch)), lengths)
        totals = np.tile(self._bias_array, (len(batch), 1))
        # add.at adds row by row in order, so each post's sum is bit-identical to apply's.
        np.add.at(totals, post_of_row, table[rows])
        best = totals.argmax(axis=1)  # first maximum, as max() in _decide
        evidence = self._batch_evidence(rows, post_of_row, lean_table[rows, best[post_of_row]], batch, best)
        for ids, draft, raw, found in zip(batch, drafts, totals.tolist(), evidence, strict=True):
            if ids:
                self._decide(draft, raw, ids, found)
            else:
                self._neutral(draft)

    _SHORTLIST: ClassVar[int] = 8

    def _batch_evidence(
        self,
        rows: NDArray[np.int64],
        post_of_row: NDArray[np.int64],
        leans: NDArray[np.float64],
        batch: list[list[int]],
        best: NDArray[np.int64],
    ) -> list[tuple[str, ...] | None]:
        """Each post's evidence from its best-leaning parts: the parts with a positive lean, sorted by post
        and lean, cut to a shortlist of ``_SHORTLIST`` per post. A post whose shortlist could hide a part that
        belongs in its top three (repeated parts or ties at the cut) gets None and is ranked exactly by
        :meth:`_evidence`."""
        positive = np.flatnonzero(leans > 0)
        evidence: list[tuple[str, ...] | None] = [()] * len(batch)
        if not len(positive):
            return evidence
        owners = post_of_row[positive]
        order = np.lexsort((-leans[positive], owners))
        positive, owners = positive[order], owners[order]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        ends = np.r_[starts[1:], len(owners)]
        limit = self._SHORTLIST
        parts = self._parts
        values, ids, owner_list = leans[positive].tolist(), rows[positive].tolist(), owners.tolist()
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            cut = min(end, start + limit)
            shortlist = {(values[k], ids[k]) for k in range(start, cut)}
            top = heapq.nlargest(3, [(value, parts[i]) for value, i in shortlist])
            if cut < end and (len(top) < 3 or top[-1][0] <= values[cut]):
                evidence[owner_list[start]] = None
                continue
            evidence[owner_list[start]] = tuple(part.replace("neg_", "not ") for _, part in top)
        return evidence
