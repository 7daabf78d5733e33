"""Safe rewrites: identifiers removed or generalized; the organization's own contacts stay.

Replacements are chosen so that screening the rewrite again finds no new patient identifier (idempotence):
"a patient", "a person in their 70s", "recently", "[room removed]", "our unit", "[phone removed]".
"""

from __future__ import annotations

from rounds.domain.screening import Finding, ScreeningProfile, SpanType
from rounds.screening.temporal import age_value

_REPLACEMENTS = {
    SpanType.HANDLE: "[account removed]",
    SpanType.PHONE: "[phone removed]",
    SpanType.FAX: "[fax removed]",
    SpanType.EMAIL: "[email removed]",
    SpanType.URL: "[link removed]",
    SpanType.IP: "[address removed]",
    SpanType.SSN: "[number removed]",
    SpanType.MRN: "[number removed]",
    SpanType.HEALTH_PLAN: "[number removed]",
    SpanType.ACCOUNT: "[number removed]",
    SpanType.LICENSE: "[number removed]",
    SpanType.VEHICLE: "[number removed]",
    SpanType.DEVICE: "[number removed]",
    SpanType.OTHER_ID: "[number removed]",
    SpanType.LOCATION: "a nearby area",
    SpanType.FACILITY_UNIT: "our unit",
    SpanType.ROOM_BED: "[room removed]",
    SpanType.DATE: "recently",
    SpanType.BIOMETRIC: "[identifying detail removed]",
}


def _age_phrase(value: str) -> str:
    age = age_value(value)
    if age is None:
        return "an adult"
    if age > 89:
        return "a person over 89"
    if age < 10:
        return "a young child"
    return f"a person in their {age // 10 * 10}s"


def rewrite(text: str, findings: list[Finding], patient_linked: bool) -> str:
    """Replace non-organizational identifiers, right to left so offsets stay valid."""
    pieces = text
    for item in sorted(findings, key=lambda f: f.start, reverse=True):
        if not item.type.identifier or item.organizational or item.end <= item.start:
            continue
        value = text[item.start : item.end]
        if item.type is SpanType.NAME:
            replacement = "a patient" if patient_linked else "[name]"
        elif item.type is SpanType.AGE:
            replacement = _age_phrase(value)
        elif item.type is SpanType.FACILITY_UNIT and item.rule == "pattern.facility":
            replacement = "the hospital"
        else:
            replacement = _REPLACEMENTS.get(item.type, "[removed]")
        if item.end < len(pieces) and pieces[item.end].isalnum():
            replacement += " "
        if item.start > 0 and pieces[item.start - 1].isalnum():
            replacement = " " + replacement
        pieces = pieces[: item.start] + replacement + pieces[item.end :]
    return pieces


def offline_template(profile: ScreeningProfile) -> str:
    """A reply that takes the conversation offline without confirming anyone is or was a patient."""
    return (
        "Thank you for reaching out. We take every concern seriously, and to protect everyone's privacy we "
        f"can't discuss anyone's care here. Please contact {profile.patient_relations_contact} so we can help "
        "directly."
    )
