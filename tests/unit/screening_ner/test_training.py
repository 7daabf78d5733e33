from pathlib import Path

import numpy as np

from rounds.screening.ner.features import FEATURE_VERSION, FeatureSpace
from rounds.screening.ner.lexicon import Gaz, WordStats, dump_gazetteer, read_gazetteer
from rounds.screening.ner.model import Weights, build_tagger, gazetteer_path
from rounds.screening.ner.training import (
    TAG_INDEX,
    Featurizer,
    chunks,
    example_from_tokens,
    read_conll,
    train,
)

CONLL = """Anna\tB-PER
Lee\tI-PER
lives\tO
in\tO
Paris\tB-LOC

hello\tO
world\tO
"""


def test_read_conll_and_chunks(tmp_path: Path) -> None:
    path = tmp_path / "x.conll"
    path.write_text(CONLL, encoding="utf-8")
    sentences = read_conll(path)
    assert len(sentences) == 2
    assert chunks([g for _, g in sentences[0]]) == [(0, 2, "PER"), (4, 5, "LOC")]
    example = example_from_tokens([t for t, _ in sentences[0]], [g for _, g in sentences[0]])
    assert example.text == "Anna Lee lives in Paris"
    assert [example.text[a:b] for a, b, _ in example.spans] == ["Anna Lee", "Paris"]


def test_a_tiny_model_learns_its_training_data(tmp_path: Path) -> None:
    sentences = [
        (["Anna", "lives", "in", "Paris"], ["B-PER", "O", "O", "B-LOC"]),
        (["Bob", "went", "to", "Rome"], ["B-PER", "O", "O", "B-LOC"]),
        (["the", "cat", "sat"], ["O", "O", "O"]),
        (["Carla", "loves", "Oslo"], ["B-PER", "O", "B-LOC"]),
    ]
    examples = [example_from_tokens(t, g) for t, g in sentences]
    stats = WordStats({"the": 9, "cat": 5}, {"the": 0})
    space = FeatureSpace(bits=12, gazetteer={}, stats=stats)
    featurize = Featurizer(space)
    data = [f for f in map(featurize, examples) if f is not None]
    w, t, errors = train(data, space.size, epochs=10, seed=1)
    assert errors[-1] == 0.0
    meta = {"feature_version": FEATURE_VERSION, "bits": 12}
    weights = Weights(w, t, 0.0, 1.0, meta)
    weights.save(tmp_path / "w.npz")
    again = Weights.read(tmp_path / "w.npz")
    assert again.meta == meta
    assert np.allclose(again.emission, w.astype(np.float16), atol=1e-2)
    tagger = build_tagger(again, stats, gazetteer={})
    spans = tagger.tag("Anna lives in Paris")
    assert [(s.start, s.end, s.label) for s in spans] == [(0, 4, "NAME"), (14, 19, "LOCATION")]
    assert TAG_INDEX["PER"] == 1


def test_shipped_lexicon_files_round_trip(tmp_path: Path) -> None:
    table = {"anna": int(Gaz.FIRST), "boise": int(Gaz.CITY), "lee": int(Gaz.FIRST | Gaz.LAST)}
    dump_gazetteer(table, tmp_path / "g.tsv.gz")
    assert read_gazetteer(tmp_path / "g.tsv.gz") == table
    stats = WordStats({"the": 9, "anna": 3}, {"anna": 4}, {"the": (1, 5, 9), "anna": (2, 7, 30)})
    stats.dump(tmp_path / "s.tsv.gz")
    assert WordStats.read(tmp_path / "s.tsv.gz") == stats


def test_the_shipped_gazetteer_is_used_without_the_packages() -> None:
    assert gazetteer_path().exists()
    table = read_gazetteer(gazetteer_path())
    assert table["boston"] & Gaz.CITY
    assert table["maria"] & Gaz.FIRST
