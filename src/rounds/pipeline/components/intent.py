"""Intent (multi-label): ``enrich.intent.v1``.

Each label combines a trained binary linear model (``data/intents.v1.json.gz``, trained by
``scripts/train_intents.py``; thresholds chosen on out-of-fold training scores) with transparent cue
lexicons (:mod:`rounds.pipeline.components.cues`) and, for complaint and praise, the post's sentiment:

- complaint: model fires on a negative post, or fires with margin ``complaint_neutral_margin`` on a neutral
  one, or a complaint cue fires on a negative post, or a negative post is addressed to an account (@mention);
- praise: model fires, or a praise cue fires on a post that is not negative;
- question: a question cue fires ("?", an interrogative opening, "does anyone know"), or the model is
  confident (margin ``question_margin`` over its threshold);
- emergency_self_harm: any explicit crisis cue, or the model with margin ``emergency_margin`` over its
  out-of-fold F2 threshold (recall first; the margin keeps ordinary tweets and NHS comments quiet);
- appointment_request, adverse_drug_event: model or cue;
- misinformation: cues only (no permissively licensed training set exists);
- other: none of the above.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from scipy import sparse

from rounds.domain.enrichment import Intent, Sentiment, explanation
from rounds.domain.posts import Post
from rounds.pipeline.base import Draft, register
from rounds.pipeline.components import cues
from rounds.pipeline.linear import LinearModel, load_model, sigmoid
from rounds.pipeline.text import TextView

_CUES: dict[Intent, list[cues.Cue]] = {
    Intent.COMPLAINT: cues.COMPLAINT,
    Intent.PRAISE: cues.PRAISE,
    Intent.QUESTION: cues.QUESTION,
    Intent.APPOINTMENT_REQUEST: cues.APPOINTMENT,
    Intent.ADVERSE_DRUG_EVENT: cues.ADVERSE_DRUG_EVENT,
    Intent.MISINFORMATION: cues.MISINFORMATION,
    Intent.EMERGENCY_SELF_HARM: cues.EMERGENCY,
}


@register
class IntentComponent:
    name: ClassVar[str] = "intent"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ("sentiment",)
    assigns: ClassVar[tuple[str, ...]] = ("intents", "intent_scores")

    question_margin: ClassVar[float] = 2.0
    emergency_margin: ClassVar[float] = 1.5
    complaint_neutral_margin: ClassVar[float] = 1.0

    def __init__(self, model: LinearModel | None = None) -> None:
        self.model = model or load_model("intents.v1.json.gz")
        thresholds = self.model.meta.get("thresholds", {})
        self._labels = [Intent(label) for label in self.model.classes]
        self._thresholds = [float(thresholds.get(label, 0.0)) for label in self.model.classes]
        self._component = f"enrich.{self.name}.{self.version}"
        columns = {label: i for i, label in enumerate(self._labels)}
        # Per label, in _CUES order: its value, its cues, the id of its trigger gate (None: always checked) and
        # its model column.
        self._plan: list[tuple[Intent, str, list[cues.Cue], int | None, int | None]] = [
            (intent, intent.value, cue_list, cues.gate_of(cue_list), columns.get(intent))
            for intent, cue_list in _CUES.items()
        ]

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        raw = self.model.scores(view.word_features) if view.tokens else None
        self._finish(view, draft, raw)

    def apply_many(self, posts: Sequence[Post], views: Sequence[TextView], drafts: Sequence[Draft]) -> None:
        """The batch form of :meth:`apply`: one sparse (posts x features) @ (features x labels) product."""
        index = self.model.index
        columns: list[int] = []
        indptr = [0]
        for view in views:
            if view.tokens:
                columns.extend(filter(None, map(index.get, set(view.word_features))))
            indptr.append(len(columns))
        matrix = self.model.matrix
        counts = sparse.csr_matrix(
            (np.ones(len(columns), dtype=np.float64), np.asarray(columns, dtype=np.int64), indptr),
            shape=(len(views), matrix.shape[0]),
        )
        totals = (counts @ matrix + self.model.bias).tolist()
        for view, draft, raw in zip(views, drafts, totals, strict=True):
            self._finish(view, draft, raw if view.tokens else None)

    def _finish(self, view: TextView, draft: Draft, raw: list[float] | None) -> None:
        """Decide every label from the model's raw scores (None: no tokens), the cues and the sentiment."""
        component = self._component
        normalized = view.normalized
        gates = cues.triggered(normalized)
        addressed = "@user" in normalized
        sentiment = draft.sentiment
        negative_and_addressed = addressed and sentiment is Sentiment.NEGATIVE
        found: list[Intent] = []
        scores: dict[str, float] = {}
        for intent, value, cue_list, gate, column in self._plan:
            if gate is not None and gate not in gates:
                fired: list[str] = []
            else:
                fired = [name for name, pattern in cue_list if pattern.search(normalized)]
            if column is None:
                margin = None
                model_fires = False
                score = 0.9 if fired else 0.0
            else:
                margin = (raw[column] if raw is not None else -1e9) - self._thresholds[column]
                model_fires = margin >= 0
                score = sigmoid(margin)
            # _decide can only say yes when the model or a cue fired, or for a negative post addressed to an
            # account (complaint); everything else is decided "no" without asking it.
            if model_fires or fired or (negative_and_addressed and intent is Intent.COMPLAINT):
                decided, reason = self._decide(intent, model_fires, margin, fired, sentiment, addressed)
                if decided:
                    score = max(score, 0.5)
                    found.append(intent)
                    draft.explanations.append(
                        explanation(
                            component=component,
                            decision=value,
                            score=round(score, 3),
                            reason=reason,
                            evidence=tuple(fired),
                        )
                    )
            scores[value] = round(score, 4)
        if not found:
            found.append(Intent.OTHER)
            draft.explanations.append(
                explanation(
                    component=component, decision=Intent.OTHER.value, reason="no intent model or cue fired"
                )
            )
        draft.intents = found
        draft.intent_scores = scores

    def _decide(
        self,
        intent: Intent,
        model_fires: bool,
        margin: float | None,
        fired: list[str],
        sentiment: Sentiment,
        addressed: bool = False,
    ) -> tuple[bool, str]:
        if intent is Intent.COMPLAINT:
            if model_fires and sentiment is Sentiment.NEGATIVE:
                return True, "complaint model fired on a negative post"
            if (
                margin is not None
                and margin >= self.complaint_neutral_margin
                and sentiment is Sentiment.NEUTRAL
            ):
                return True, "complaint model is confident (post not negative in tone)"
            if fired and sentiment is Sentiment.NEGATIVE:
                return True, "complaint cue on a negative post"
            if addressed and sentiment is Sentiment.NEGATIVE:
                return True, "negative post addressed to an account"
            return False, ""
        if intent is Intent.PRAISE:
            if (model_fires or fired) and sentiment is not Sentiment.NEGATIVE:
                return True, "praise " + (
                    "model" if model_fires else "cue"
                ) + " fired and the post is not negative"
            return False, ""
        if intent is Intent.QUESTION:
            if fired:
                return True, "question cue"
            if margin is not None and margin >= self.question_margin:
                return True, "question model is confident"
            return False, ""
        if intent is Intent.EMERGENCY_SELF_HARM:
            if fired:
                return True, "explicit crisis or emergency cue"
            if margin is not None and margin >= self.emergency_margin:
                return True, "crisis model fired"
            return False, ""
        if intent is Intent.MISINFORMATION:
            return (True, "misinformation claim cue") if fired else (False, "")
        if model_fires and fired:
            return True, "model and cue both fired"
        if model_fires:
            return True, "model fired"
        if fired:
            return True, "cue fired"
        return False, ""
