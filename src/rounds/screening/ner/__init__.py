"""``rounds.screening.ner``: a small, fast name / place / organisation tagger for informal social text.

    from rounds.screening.ner import load_tagger
    spans = load_tagger().tag("prayers for anna in boise #PrayForAnna")

Labels: ``NAME`` (people, the corpus's PER), ``LOCATION`` (places, LOC) and ``ORG``. @handles and URLs are never
labelled: the screening engine has exact recognizers for them. Weights ship in ``rounds/screening/data/ner/`` and
are rebuilt by ``scripts/train_ner.py``.
"""

from rounds.screening.ner.model import COMPONENT, EntitySpan, NerModelError, Tagger, load_tagger

__all__ = ["COMPONENT", "EntitySpan", "NerModelError", "Tagger", "load_tagger"]
