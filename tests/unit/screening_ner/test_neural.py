"""phi.ner.v2's numpy BiLSTM inference, on tiny random weights (the trained weights are not shipped: docs/ner.md)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rounds.screening.ner.features import FeatureSpace
from rounds.screening.ner.lexicon import WordStats
from rounds.screening.ner.neural import (
    DENSE_SIZE,
    NEURAL_FEATURE_VERSION,
    BiLstmTagger,
    BiLstmWeights,
    build_bilstm_tagger,
)
from rounds.screening.ner.tokenize import tokenize

HIDDEN, EMB, FILTERS, CHAR_DIM = 5, 4, 3, 2


def random_weights(seed: int = 0) -> BiLstmWeights:
    rng = np.random.default_rng(seed)
    words = ["<pad>", "<unk>", "<user>", "<url>", "<num>", "anna", "in", "dallas"]
    chars = ["<pad>", "<unk>", *"abcdefghijklmnopqrstuvwxyzAD"]
    size = EMB + FILTERS + DENSE_SIZE

    def r(*shape: int) -> np.ndarray:
        return rng.normal(0.0, 0.8, shape).astype(np.float32)

    embedding = r(len(words), EMB)
    embedding[:2] = 0.0
    char_embedding = r(len(chars), CHAR_DIM)
    char_embedding[0] = 0.0
    return BiLstmWeights(
        words=words,
        chars=chars,
        embedding=embedding,
        char_embedding=char_embedding,
        conv_w=r(FILTERS, CHAR_DIM, 3),
        conv_b=r(FILTERS),
        w_ih=r(2, 4 * HIDDEN, size),
        b=r(2, 4 * HIDDEN),
        w_hh=r(2, 4 * HIDDEN, HIDDEN),
        out_w=r(4, 2 * HIDDEN),
        out_b=r(4),
        o_bias=0.0,
        score_scale=1.0,
        meta={"feature_version": NEURAL_FEATURE_VERSION},
    )


@pytest.fixture(scope="module")
def tagger() -> BiLstmTagger:
    space = FeatureSpace(bits=10, gazetteer={"anna": 1, "dallas": 4}, stats=WordStats({"in": 9}, {"in": 0}))
    return build_bilstm_tagger(random_weights(), space)


def reference_logits(tagger: BiLstmTagger, text: str) -> np.ndarray:
    """A plain, unbatched LSTM (textbook gate formulas) over the same inputs."""
    w = tagger._weights
    tokens = tokenize(text)
    x = tagger.inputs([(t.text, t.kind) for t in tokens])

    def sigmoid(v: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-v))

    outs = []
    for d, seq in ((0, x), (1, x[::-1])):
        h = np.zeros(HIDDEN)
        c = np.zeros(HIDDEN)
        hs = []
        for row in seq:
            z = w.w_ih[d] @ row + w.b[d] + w.w_hh[d] @ h
            i, f, g, o = np.split(z, 4)
            c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
            h = sigmoid(o) * np.tanh(c)
            hs.append(h)
        outs.append(np.array(hs) if d == 0 else np.array(hs[::-1]))
    return np.concatenate(outs, axis=1) @ w.out_w.T + w.out_b


def test_batched_lstm_matches_a_plain_one(tagger: BiLstmTagger) -> None:
    texts = ["Anna in Dallas", "hi", "@anna went to https://x.org with Dallas friends #PrayForAnna 12"]
    batched = tagger.logits_many([tokenize(t) for t in texts])
    for text, logits in zip(texts, batched, strict=True):
        np.testing.assert_allclose(logits, reference_logits(tagger, text), rtol=1e-4, atol=1e-4)


def test_tag_many_equals_tag(tagger: BiLstmTagger) -> None:
    texts = [
        "Anna in Dallas",
        "",
        "   ",
        "call Bob in dallas tomorrow",
        "😀",
        "a b c d e f g h i j k l m n o p",
    ]
    assert tagger.tag_many(texts) == [tagger.tag(t) for t in texts]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.text(max_size=200), max_size=6))
def test_offsets_valid_and_batch_equals_single_on_arbitrary_unicode(texts: list[str]) -> None:
    space = FeatureSpace(bits=10, gazetteer={"anna": 1}, stats=WordStats({}, {}))
    tagger = build_bilstm_tagger(random_weights(1), space)
    many = tagger.tag_many(texts)
    for text, spans in zip(texts, many, strict=True):
        assert spans == tagger.tag(text)
        for span in spans:
            assert 0 <= span.start < span.end <= len(text)
            assert span.label in ("NAME", "LOCATION", "ORG")
            assert 0.0 <= span.score <= 1.0


def test_save_and_read_round_trip(tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "bilstm.npz"
    weights = random_weights()
    weights.save(path)
    again = BiLstmWeights.read(path)
    assert again.words == weights.words and again.chars == weights.chars
    np.testing.assert_allclose(again.w_hh, weights.w_hh)
