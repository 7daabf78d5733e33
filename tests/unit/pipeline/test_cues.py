import pytest

from rounds.pipeline.components import cues
from rounds.pipeline.text import normalize

# One example per cue: the cue must fire, with and without the trigger gate.
EXAMPLES = [
    (cues.EMERGENCY, "suicidal statement", "I am going to kill myself"),
    (cues.EMERGENCY, "suicidal statement", "thinking about ending my life"),
    (cues.EMERGENCY, "wish to die", "I just want to die"),
    (cues.EMERGENCY, "wish to die", "i don't want to wake up tomorrow"),
    (cues.EMERGENCY, "suicide", "having suicidal thoughts again"),
    (cues.EMERGENCY, "self-harm", "I started self harming last year"),
    (cues.EMERGENCY, "overdose", "I took all my pills"),
    (cues.EMERGENCY, "cannot go on", "I can't take this anymore"),
    (cues.EMERGENCY, "medical emergency", "my dad can't breathe and has chest pain"),
    (cues.EMERGENCY, "emergency number", "someone call 911 please"),
    (cues.MISINFORMATION, "miracle cure claim", "this miracle cure stops it overnight"),
    (cues.MISINFORMATION, "vaccine harm claim", "vaccines cause autism"),
    (cues.MISINFORMATION, "conspiracy framing", "the plandemic is here"),
    (cues.MISINFORMATION, "5g claim", "5G towers spread the virus"),
    (cues.MISINFORMATION, "quack remedy", "gargling salt water kills it"),
    (cues.MISINFORMATION, "fabricated authority", "CDC admits the numbers were fake"),
    (cues.MISINFORMATION, "origin conspiracy", "it was engineered on purpose"),
    (cues.MISINFORMATION, "denial claim", "covid is just a flu"),
    (cues.MISINFORMATION, "viral share bait", "share before it's deleted"),
    (cues.QUESTION, "question mark", "is the clinic open?"),
    (cues.QUESTION, "asks for help", "does anyone know a good dentist"),
    (cues.QUESTION, "interrogative opening", "where is the nearest pharmacy"),
    (cues.APPOINTMENT, "booking", "I need to book an appointment"),
    (cues.APPOINTMENT, "waiting for appointment", "still waiting for my referral"),
    (cues.APPOINTMENT, "cannot get through", "can't get through on the phone"),
    (cues.APPOINTMENT, "access to care", "how long is the waiting list"),
    (cues.COMPLAINT, "dissatisfaction", "absolutely terrible service"),
    (cues.COMPLAINT, "still waiting", "still no reply from anyone"),
    (cues.COMPLAINT, "formal complaint", "I want a refund"),
    (cues.PRAISE, "thanks", "thank you all"),
    (cues.PRAISE, "praise words", "the nurses were amazing"),
    (cues.ADVERSE_DRUG_EVENT, "side effect mention", "the side effects are awful"),
    (cues.ADVERSE_DRUG_EVENT, "since starting", "since starting it I have a rash"),
    (cues.ADVERSE_DRUG_EVENT, "withdrawal", "the brain zaps are back"),
]


@pytest.mark.parametrize(("cue_list", "name", "text"), EXAMPLES)
def test_cue_fires_through_its_gate(cue_list: list[cues.Cue], name: str, text: str) -> None:
    normalized = normalize(text)
    ungated = [n for n, pattern in cue_list if pattern.search(normalized)]
    assert name in ungated
    assert cues.matches(cue_list, normalized, cues.triggered(normalized)) == ungated


def test_every_cue_has_an_example() -> None:
    covered = {name for _, name, _ in EXAMPLES}
    every = {
        name
        for cue_list in (
            cues.EMERGENCY,
            cues.MISINFORMATION,
            cues.QUESTION,
            cues.APPOINTMENT,
            cues.COMPLAINT,
            cues.PRAISE,
            cues.ADVERSE_DRUG_EVENT,
        )
        for name, _ in cue_list
    }
    assert every <= covered


@pytest.mark.parametrize("text", ["that is odd", "my mum went home", "the weather is nice"])
def test_ordinary_text_is_not_an_emergency(text: str) -> None:
    assert cues.matches(cues.EMERGENCY, normalize(text)) == []
