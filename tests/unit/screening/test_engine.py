"""Screening engine through its public API: verdicts, findings, fail-closed behaviour, bad input."""

from __future__ import annotations

import json

import pytest

from rounds.domain.errors import BadInput
from rounds.domain.screening import Kind, Policy, RuleMode, ScreeningProfile, SpanType, Verdict
from rounds.screening import Screener, screen
from rounds.screening import engine as engine_module


@pytest.fixture(scope="module")
def screener() -> Screener:
    return Screener()


def types(result, text):  # type: ignore[no-untyped-def]
    return {(text[f.start : f.end], str(f.type)) for f in result.findings}


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        (
            "pt J. Parrish in trauma 2 keeps pulling his IV, alcohol withdrawal is no joke",
            "post",
            Verdict.BLOCK,
        ),
        ("Our 97-year-old in rm 24 with liver failure is the sassiest human alive", "post", Verdict.BLOCK),
        ("Please pray for Tasha Hurley, admitted Sep 28th with a concussion", "post", Verdict.BLOCK),
        ("#MarisolStrong our Unit 52 family is behind you", "post", Verdict.BLOCK),
        ("Had a 76 yr old in PACU last night with a broken femur. Wild shift", "post", Verdict.WARN),
        ("Welcome to the team, Breanna Alonzo! Our newest NP", "post", Verdict.OK),
        ("ED is slammed with pertussis today, expect long waits", "post", Verdict.OK),
        ("Finally back at work after my own bout with RSV", "post", Verdict.OK),
        ("Working nights 8/21 through 8/23, anyone want to swap?", "post", Verdict.OK),
        (
            "Mi paciente Rosa Quintero, de 59 años, en la cama 8 con neumonía. Recen por ella",
            "post",
            Verdict.BLOCK,
        ),
        ("Great hospital but parking is a nightmare", "comment", Verdict.OK),
    ],
)
def test_verdicts(screener: Screener, text: str, kind: str, expected: Verdict) -> None:
    assert screener.screen(text, kind).verdict is expected


def test_identifier_types(screener: Screener) -> None:
    text = "GUSTAVO PETTY DOB 03/15/1940 MRN 40791524 call 687-588-2495 or g.petty@example.com"
    result = screener.screen(text, "post")
    found = types(result, text)
    assert ("GUSTAVO PETTY", "NAME") in found
    assert ("03/15/1940", "DATE") in found
    assert ("40791524", "MRN") in found
    assert ("687-588-2495", "PHONE") in found
    assert ("g.petty@example.com", "EMAIL") in found


def test_checksummed_numbers(screener: Screener) -> None:
    text = "ssn 123-45-6789, card 4111 1111 1111 1111, VIN 1HGCM82633A004352, fax 212-555-0188"
    found = types(screener.screen(text, "post"), text)
    assert ("123-45-6789", "SSN") in found
    assert ("4111 1111 1111 1111", "ACCOUNT") in found
    assert ("1HGCM82633A004352", "VEHICLE") in found
    assert ("212-555-0188", "FAX") in found


def test_relationship_confirmation_reply(screener: Screener) -> None:
    context = "Waited 6 hours in the ED on Tuesday with my broken wrist. Never again. - Dana R."
    result = screener.screen(
        "Hi Dana, we're sorry about your wait on Tuesday. Our records show you were seen and discharged.",
        "review_response",
        context,
    )
    assert result.verdict is Verdict.BLOCK
    assert result.relationship_confirmation
    assert result.offline_template is not None
    assert "Patient Relations" in result.offline_template


def test_generic_reply_is_ok(screener: Screener) -> None:
    result = screener.screen(
        "We're sorry to hear this. Please call Patient Experience at 405-512-2831 so we can help.",
        "reply",
        {"text": "my mom has been in your ER for 9 hours", "author": "someone", "is_organization": False},
    )
    assert result.verdict is Verdict.OK
    assert not result.relationship_confirmation


def test_identifier_request_warns(screener: Screener) -> None:
    result = screener.screen(
        "Can you reply with their full name and date of birth so we can look into it?",
        "reply",
        "my grandma is on 6E and I can't get through",
    )
    assert result.verdict is Verdict.WARN
    assert not result.patient_linked


def test_profile_marks_organization_contacts() -> None:
    profile = ScreeningProfile(phones=["(405) 512-2831"], handles=["MercyHealth"], staff_names=["Ana Ruiz"])
    result = Screener(profile).screen("Call @MercyHealth at 405-512-2831, ask for Ana Ruiz", "post")
    assert result.verdict is Verdict.OK
    assert all(f.organizational for f in result.identifiers)
    assert "405-512-2831" in result.rewrite


def test_policy_from_dict_and_off_mode() -> None:
    policy = Policy.from_dict({"review_incentives": {"mode": "off", "reason": "handled elsewhere"}})
    assert policy.review_incentives.mode is RuleMode.OFF
    text = "Leave us a 5-star review and get a $10 gift card!"
    assert screen(text, "post").verdict is Verdict.BLOCK
    assert screen(text, "post", policy=policy).verdict is Verdict.OK
    assert Policy.from_dict(json.loads(Policy().model_dump_json())) == Policy()


def test_rewrite_generalizes(screener: Screener) -> None:
    result = screener.screen("Our 76-year-old in bed 12 with sepsis finally went home", "post")
    assert "76" not in result.rewrite
    assert "bed 12" not in result.rewrite
    assert "in their 70s" in result.rewrite
    again = screener.screen(result.rewrite, "post")
    assert not [f for f in again.identifiers if not f.organizational]


def test_component_failure_fails_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    class Exploding:
        name = "test.exploding.v1"

        def find(self, prepared, context):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    monkeypatch.setattr(engine_module, "RECOGNIZERS", (*engine_module.RECOGNIZERS, Exploding))
    result = Screener().screen("Thanks to everyone who came to the picnic", "post")
    assert result.verdict is Verdict.WARN
    assert any(f.type is SpanType.ERROR and f.component == "test.exploding.v1" for f in result.findings)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\t ",
        "😀🙏💙",
        "\u202eevil\u202c text with \x00 control \x07 chars",
        "مريض في الغرفة 12 بعد الجراحة",
        "Paciente Juan Pérez en la cama 4 con neumonía",
        "J\u200bo\u200bh\u200bn Smith in bed 4 after surgery",
        "\ufffd\ufffd broken bytes",
    ],
)
def test_bad_input_never_crashes(screener: Screener, text: str) -> None:
    result = screener.screen(text, "post")
    assert result.verdict in set(Verdict)
    for f in result.findings:
        assert 0 <= f.start <= f.end <= len(text)


def test_zero_width_split_name_is_found(screener: Screener) -> None:
    text = "J\u200bo\u200bh\u200bn Smith in bed 4 after surgery"
    result = screener.screen(text, "post")
    assert result.verdict is Verdict.BLOCK
    assert any(f.type is SpanType.NAME and text[f.start : f.end].startswith("J") for f in result.findings)


def test_bytes_and_huge_text_are_clear_errors(screener: Screener) -> None:
    with pytest.raises(BadInput):
        screener.screen(b"\xff\xfe bad", "post")  # type: ignore[arg-type]
    with pytest.raises(BadInput):
        screener.screen("a" * (engine_module.MAX_CHARS + 1), "post")
    with pytest.raises(BadInput):
        screener.screen("hello", "tweet")


def test_one_megabyte_text(screener: Screener) -> None:
    text = ("Shift went fine, nothing to report. " * 28_000)[: engine_module.MAX_CHARS]
    result = screener.screen(text, "post")
    assert result.verdict is Verdict.OK


def test_kinds_and_dataset_aliases() -> None:
    assert Kind.parse("staff_post") is Kind.POST
    assert Kind.parse("public_comment") is Kind.COMMENT
    assert Kind.parse("review_response") is Kind.REVIEW_RESPONSE


def test_screen_many_and_to_dict(screener: Screener) -> None:
    results = screener.screen_many(["hello there", {"text": "pt in bed 4 coded", "kind": "post"}])
    assert [r.verdict for r in results] == [Verdict.OK, Verdict.BLOCK]
    body = json.loads(json.dumps(results[1].to_dict()))
    assert body["verdict"] == "block"
    assert body["findings"][0]["component"]


def test_registry_snapshot(screener: Screener) -> None:
    names = [n.split("+")[0] for n in screener.components]
    assert names[:6] == [
        "phi.contact.v1",
        "phi.numbers.v1",
        "phi.dates.v1",
        "phi.ages.v1",
        "phi.places.v1",
        "phi.names.v1",
    ]
    assert names[-1] == "health.context.v1"


BATCH = [
    "pt J. Parrish in trauma 2 keeps pulling his IV",
    {"text": "", "kind": "post"},
    {"text": "We're sorry about your stay on 4 West last Tuesday", "kind": "reply", "context": "Awful night"},
    {"text": "Prayers for Anna in Boise #PrayForAnna", "kind": "post"},
    {"text": "😀🙏💙", "kind": "comment"},
    "Great game tonight @jsmith, see you at the 5K on 3/14!",
]


def _summary(result):  # type: ignore[no-untyped-def]
    return (
        result.verdict,
        result.reasons,
        [(f.start, f.end, f.type, f.rule, f.organizational) for f in result.findings],
        result.rewrite,
        result.patient_linked,
        result.relationship_confirmation,
    )


def test_screen_many_matches_screen_one_by_one(screener: Screener) -> None:
    batch = screener.screen_many(BATCH)
    single = [
        screener.screen(item)
        if isinstance(item, str)
        else screener.screen(item["text"], item["kind"], item.get("context"))
        for item in BATCH
    ]
    assert [_summary(r) for r in batch] == [_summary(r) for r in single]


def test_screen_many_rejects_a_bad_item_like_screen(screener: Screener) -> None:
    with pytest.raises(BadInput):
        screener.screen_many(["fine", {"text": b"bytes", "kind": "post"}])


def test_a_failing_batch_component_fails_closed_text_by_text(monkeypatch: pytest.MonkeyPatch) -> None:
    class BatchExploding:
        name = "test.batch_exploding.v1"

        def find(self, prepared, context):  # type: ignore[no-untyped-def]
            if "boom" in prepared.original:
                raise RuntimeError("boom")
            return []

        def find_many(self, prepared, contexts):  # type: ignore[no-untyped-def]
            raise RuntimeError("batch")

    monkeypatch.setattr(engine_module, "RECOGNIZERS", (*engine_module.RECOGNIZERS, BatchExploding))
    results = Screener().screen_many(["Thanks to everyone who came to the picnic", "boom goes the picnic"])
    assert results[0].verdict is Verdict.OK
    assert results[1].verdict is Verdict.WARN
    assert any(
        f.type is SpanType.ERROR and f.component == "test.batch_exploding.v1" for f in results[1].findings
    )
