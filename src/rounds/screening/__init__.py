"""``rounds.screening``: catch PHI and HIPAA-risky wording in short social text, explained.

    from rounds.screening import screen, Screener
    result = screen("pt J. Parrish in bed 12 keeps pulling his IV", "post")
    result.verdict  # Verdict.BLOCK

``screen`` keeps one default :class:`Screener` per (profile, policy) pair, so lexicons load once. For batches
and organization settings, build a ``Screener(profile, policy)`` and call ``screen`` / ``screen_many``.
"""

from __future__ import annotations

import threading
from typing import Any

from rounds.domain.screening import (
    Finding,
    Kind,
    Policy,
    PolicyRule,
    RuleMode,
    Screening,
    ScreeningProfile,
    SpanType,
    ThreadContext,
    Verdict,
)
from rounds.screening.engine import Screener

__all__ = [
    "Finding",
    "Kind",
    "Policy",
    "PolicyRule",
    "RuleMode",
    "Screener",
    "Screening",
    "ScreeningProfile",
    "SpanType",
    "ThreadContext",
    "Verdict",
    "screen",
]

_DEFAULT: dict[str, Screener] = {}
_LOCK = threading.Lock()


def _screener(profile: ScreeningProfile | None, policy: Policy | None) -> Screener:
    key = (profile.model_dump_json() if profile else "") + "|" + (policy.model_dump_json() if policy else "")
    with _LOCK:
        screener = _DEFAULT.get(key)
        if screener is None:
            if len(_DEFAULT) > 32:
                _DEFAULT.clear()
            screener = _DEFAULT[key] = Screener(profile, policy)
    return screener


def screen(
    text: str,
    kind: str | Kind = Kind.POST,
    context: ThreadContext | str | dict[str, Any] | None = None,
    policy: Policy | None = None,
    profile: ScreeningProfile | None = None,
) -> Screening:
    """Screen one text. See :class:`Screener` for batches."""
    return _screener(profile, policy).screen(text, kind, context)
