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

from typing import ClassVar

from rounds.domain.enrichment import Explanation, Intent, Sentiment
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

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        component = f"enrich.{self.name}.{self.version}"
        normalized = view.normalized
        raw = self.model.scores(view.word_features) if view.tokens else [-1e9] * len(self._labels)
        margins = {label: raw[i] - self._thresholds[i] for i, label in enumerate(self._labels)}
        found: list[Intent] = []
        scores: dict[str, float] = {}
        gates = cues.triggered(normalized)
        addressed = "@user" in normalized
        for intent, cue_list in _CUES.items():
            fired = cues.matches(cue_list, normalized, gates)
            margin = margins.get(intent)
            model_fires = margin is not None and margin >= 0
            decided, reason = self._decide(intent, model_fires, margin, fired, draft.sentiment, addressed)
            score = sigmoid(margin) if margin is not None else (0.9 if fired else 0.0)
            if decided:
                score = max(score, 0.5)
            scores[intent.value] = round(score, 4)
            if decided:
                found.append(intent)
                draft.explanations.append(
                    Explanation(
                        component=component,
                        decision=intent.value,
                        score=round(score, 3),
                        reason=reason,
                        evidence=tuple(fired),
                    )
                )
        if not found:
            found.append(Intent.OTHER)
            draft.explanations.append(
                Explanation(
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
