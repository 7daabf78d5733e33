from datetime import UTC, datetime
from typing import ClassVar

import pytest

from rounds.domain.enrichment import AuthorKind, Intent, Sentiment
from rounds.domain.posts import Author, Post
from rounds.pipeline.base import Draft, registered, versioned_name
from rounds.pipeline.enricher import Enricher
from rounds.pipeline.text import TextView


def make_post(text: str, **fields: object) -> Post:
    return Post(
        platform="x", remote_id="1", text=text, created_at=datetime(2024, 5, 1, 12, tzinfo=UTC), **fields
    )  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def enricher() -> Enricher:
    return Enricher()


def test_registry_snapshot() -> None:
    # A behaviour change is a new version (CONVENTIONS.md 5): update this snapshot deliberately.
    assert [versioned_name(c) for c in registered().values()] == [
        "enrich.author.v1",
        "enrich.influence.v1",
        "enrich.sentiment.v2",
        "enrich.intent.v1",
        "enrich.language.v1",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The nurses were amazing, thank you so much for looking after my mum!", Sentiment.POSITIVE),
        ("Worst hospital ever. Waited 9 hours and nobody even apologised. Disgusting.", Sentiment.NEGATIVE),
        ("The clinic opens at 9am on Monday.", Sentiment.NEUTRAL),
    ],
)
def test_sentiment(enricher: Enricher, text: str, expected: Sentiment) -> None:
    result = enricher.enrich(make_post(text))
    assert result.sentiment is expected
    assert abs(sum(result.sentiment_scores.values()) - 1.0) < 1e-3


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("Does anyone know if the walk-in centre is open on Sundays?", Intent.QUESTION),
        (
            "I need to book an appointment but can't get through on the phone lines",
            Intent.APPOINTMENT_REQUEST,
        ),
        ("I want to kill myself, I can't go on", Intent.EMERGENCY_SELF_HARM),
        ("Since starting sertraline I have had terrible nausea and dizziness", Intent.ADVERSE_DRUG_EVENT),
        ("5G towers spread the virus, vaccines cause autism, do your own research", Intent.MISINFORMATION),
        ("Thank you to the amazing staff on ward 3, so kind and caring", Intent.PRAISE),
        ("Absolutely disgraceful service, still waiting for a callback after 3 weeks", Intent.COMPLAINT),
    ],
)
def test_intents(enricher: Enricher, text: str, intent: Intent) -> None:
    result = enricher.enrich(make_post(text))
    assert intent in result.intents
    assert Intent.OTHER not in result.intents
    assert any(e.decision == intent.value and e.component == "enrich.intent.v1" for e in result.explanations)


def test_neutral_post_is_other(enricher: Enricher) -> None:
    assert enricher.enrich(make_post("Parking is on level 2 of the east building.")).intents == (
        Intent.OTHER,
    )


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The waiting room was full and the staff were very busy today", "en"),
        ("Hoy fui al hospital y la atención fue muy buena, gracias a todos", "es"),
        ("Je suis allé à l'hôpital et le personnel était très gentil avec moi", "fr"),
        ("Ich war heute im Krankenhaus und die Pflege war nicht gut", "de"),
        ("Fui ao hospital hoje e o atendimento foi muito bom, obrigado", "pt"),
        ("😀🎉👍", "und"),
        ("", "und"),
        ("https://example.org 12345", "und"),
    ],
)
def test_language(enricher: Enricher, text: str, language: str) -> None:
    assert enricher.enrich(make_post(text)).language == language


def test_declared_language_is_kept(enricher: Enricher) -> None:
    assert enricher.enrich(make_post("ok", language="it")).language == "it"


@pytest.mark.parametrize(
    ("author", "kind"),
    [
        (Author(name="St Mary's Hospital", handle="stmarys"), AuthorKind.ORGANIZATION),
        (Author(name="Dr. Jane Lee", handle="drjlee", description="Cardiologist"), AuthorKind.CLINICIAN),
        (Author(name="City Herald", handle="cityherald", description="News from the city"), AuthorKind.MEDIA),
        (Author(name="Flu Tracker Bot", handle="flu_bot"), AuthorKind.BOT),
        (Author(name="Sam", handle="sam_1987", description="dad, runner"), AuthorKind.PATIENT_PUBLIC),
    ],
)
def test_author_kind(enricher: Enricher, author: Author, kind: AuthorKind) -> None:
    assert enricher.enrich(make_post("hello there", author=author)).author_kind is kind


def test_influence_grows_with_audience_and_engagement(enricher: Enricher) -> None:
    small = enricher.enrich(make_post("hi", author=Author(followers=10))).influence
    large = enricher.enrich(
        make_post("hi", author=Author(followers=2_000_000), metrics={"likes": 5000})
    ).influence
    assert 0 <= small < large <= 100


def test_versions_and_explanations_are_recorded(enricher: Enricher) -> None:
    result = enricher.enrich(make_post("Great care today, thank you"))
    assert result.component_versions == [
        "enrich.author.v1",
        "enrich.influence.v1",
        "enrich.intent.v1",
        "enrich.language.v1",
        "enrich.sentiment.v2",
    ]
    components = {e.component for e in result.explanations}
    assert "enrich.sentiment.v2" in components
    assert all(e.reason for e in result.explanations)


class Exploding:
    name: ClassVar[str] = "exploding"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ()

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        if "boom" in view.tokens:
            raise RuntimeError("broken component")


def test_failing_component_is_recorded_and_batch_goes_on() -> None:
    enricher = Enricher()
    enricher.components.insert(0, Exploding())
    results = list(
        enricher.enrich_many([make_post("boom goes the thing"), make_post("all fine here, thanks")])
    )
    assert [f.component for f in results[0].failures] == ["enrich.exploding.v1"]
    assert results[0].language == "en"  # the other components still ran
    assert results[1].failures == ()


def test_long_post_is_enriched(enricher: Enricher) -> None:
    result = enricher.enrich(make_post("terrible wait " * 10_000))
    assert result.sentiment is Sentiment.NEGATIVE


BATCH_SAMPLE = [
    "The nurses were amazing, thank you so much for looking after my mum!",
    "Worst hospital ever. Waited 9 hours and nobody even apologised. Disgusting.",
    "@NHS not happy at all, still waiting for a callback :( #fail",
    "Does anyone know if the walk-in centre is open on Sundays?",
    "I want to kill myself, I can't go on",
    "Since starting sertraline I have had terrible nausea and dizziness",
    "soooo goooood 😀😀 http://example.org",
    "zzyzx qwrtp zzyzx qwrtp",  # new words, repeated within the post
    "",
    "😀🎉👍",
    "Hoy fui al hospital y la atención fue muy buena, gracias a todos",
    "病院はどこですか",
    "terrible wait " * 3_000,
]


def test_enrich_many_equals_enrich_post_by_post() -> None:
    # Batch scoring (numpy, sparse products) must give exactly the per-post results, in order.
    posts = [make_post(text) for text in BATCH_SAMPLE * 30]
    one = Enricher()
    expected = [one.enrich(post).model_dump_json() for post in posts]
    many = Enricher()
    assert [r.model_dump_json() for r in many.enrich_many(posts)] == expected
    assert [r.model_dump_json() for r in many.enrich_many(iter(posts))] == expected


def test_trusted_explanation_equals_validated() -> None:
    from rounds.domain.enrichment import Explanation, explanation

    fast = explanation(component="enrich.x.v1", decision="negative", reason="r", score=0.5, evidence=("a",))
    assert fast == Explanation(
        component="enrich.x.v1", decision="negative", reason="r", score=0.5, evidence=("a",)
    )
    assert fast.model_dump_json() == Explanation.model_validate(fast.model_dump()).model_dump_json()


class FailingBatch:
    name: ClassVar[str] = "failing_batch"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ("sentiment",)

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        if "boom" in view.tokens:
            raise RuntimeError("broken component")
        draft.sentiment = Sentiment.POSITIVE

    def apply_many(self, posts: list[Post], views: list[TextView], drafts: list[Draft]) -> None:
        for draft in drafts:
            draft.sentiment = Sentiment.NEGATIVE  # partial writes, then a failure: must be undone
        raise RuntimeError("broken batch")


def test_failing_batch_falls_back_to_post_by_post() -> None:
    enricher = Enricher(["author"])
    enricher.components.append(FailingBatch())
    results = list(enricher.enrich_many([make_post("boom"), make_post("fine")]))
    assert [f.component for f in results[0].failures] == ["enrich.failing_batch.v1"]
    assert results[0].sentiment is Sentiment.NEUTRAL
    assert results[1].sentiment is Sentiment.POSITIVE
    assert results[1].components == {"author": "v1", "failing_batch": "v1"}
