"""``rounds.screening.ner``: a small, fast name / place / organisation tagger for informal social text.

    from rounds.screening.ner import load_tagger
    spans = load_tagger().tag("prayers for anna in boise #PrayForAnna")

The shipped tagger is ``phi.ner.v2``: a small BiLSTM (numpy inference) averaged per token with ``phi.ner.v1``
(hashed-feature perceptron), see docs/ner.md. ``Tagger`` / ``load_v1_tagger()`` give v1 alone.

Labels: ``NAME`` (people, the corpus's PER), ``LOCATION`` (places, LOC) and ``ORG``. @handles and URLs are never
labelled: the screening engine has exact recognizers for them. Weights ship in ``rounds/screening/data/ner/`` and
are rebuilt by ``scripts/train_ner.py``.
"""

from rounds.screening.ner.model import V1_COMPONENT, EntitySpan, NerModelError, Tagger, load_v1_tagger
from rounds.screening.ner.neural import COMPONENT, BiLstmTagger, EnsembleTagger, load_tagger

__all__ = [
    "COMPONENT",
    "V1_COMPONENT",
    "BiLstmTagger",
    "EnsembleTagger",
    "EntitySpan",
    "NerModelError",
    "Tagger",
    "load_tagger",
    "load_v1_tagger",
]
