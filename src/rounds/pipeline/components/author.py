"""Author kind from profile cues (``enrich.author.v1``) and influence (``enrich.influence.v1``).

Author kind reads only the profile (name, handle, description, verified flag), never the post text. Rules are
checked in order: bot, media, organization, clinician; anything else is patient/public. Each rule names the
cue that fired. There is no labelled, permissively licensed profile data set to train on, so these are rules.

Influence is 0-100: a log-scaled blend of audience (followers) and the engagement the post itself received
(likes, reposts, replies, views from ``metrics``), so 10 followers and 10 million do not look alike.
"""

from __future__ import annotations

import math
from typing import ClassVar

import regex

from rounds.domain.enrichment import AuthorKind, explanation
from rounds.domain.posts import Post
from rounds.pipeline.base import Draft, register
from rounds.pipeline.text import TextView

_RULES: list[tuple[AuthorKind, str, regex.Pattern[str]]] = [
    (
        AuthorKind.BOT,
        "automated-account cue",
        regex.compile(
            r"(?:^|[\W_])bot(?:$|[\W_\d])|\bbot\b|automated|auto-?post|\bfeed\b|rss|\bnewsbot\b|i am a bot|beep boop",
            regex.I,
        ),
    ),
    (
        AuthorKind.MEDIA,
        "news-media cue",
        regex.compile(
            r"\b(?:news|newsroom|times|post|herald|gazette|tribune|journal|magazine|radio|tv|television|broadcast"
            r"|reporter|journalist|correspondent|editor|press|daily|weekly|bbc|cnn|reuters|associated press)\b",
            regex.I,
        ),
    ),
    (
        AuthorKind.ORGANIZATION,
        "organization cue",
        regex.compile(
            r"\b(?:hospital|health ?system|healthcare|health care|clinic|clinics|medical center|medical centre|nhs"
            r"|trust|foundation|university|college|school|department|ministry|council|association|society"
            r"|institute|pharmacy|pharma|inc|llc|ltd|corp|official|we are|our team|charity|nonprofit|non-profit"
            r"|services|centre|center|practice)\b",
            regex.I,
        ),
    ),
    (
        AuthorKind.CLINICIAN,
        "clinician cue",
        regex.compile(
            r"(?:^|\s)dr\.?\s|\b(?:md|do|rn|np|pa-c|mbbs|mbchb|frcp|facp|facs|dnp|crna|lpn|pharmd|dds|phd rn)\b"
            r"|\b(?:physician|doctor|surgeon|nurse|midwife|paramedic|pharmacist|gp|resident|intern|clinician"
            r"|cardiologist|oncologist|psychiatrist|pediatrician|paediatrician|anesthesiologist|anaesthetist"
            r"|radiologist|dermatologist|neurologist|obgyn|ob/gyn|therapist|dentist|emt)\b",
            regex.I,
        ),
    ),
]


@register
class AuthorComponent:
    name: ClassVar[str] = "author"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ("author_kind",)

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        kind, reason = self.classify(post)
        draft.author_kind = kind
        draft.explanations.append(
            explanation(component=f"enrich.{self.name}.{self.version}", decision=kind.value, reason=reason)
        )

    @staticmethod
    def classify(post: Post) -> tuple[AuthorKind, str]:
        author = post.author
        fields = {
            "name": author.name or "",
            "handle": author.handle or "",
            "description": author.description or "",
        }
        for kind, label, pattern in _RULES:
            for field_name, value in fields.items():
                if value and pattern.search(value):
                    return kind, f"{label} in the profile {field_name}"
        return AuthorKind.PATIENT_PUBLIC, "no organization, clinician, media or bot cue in the profile"


_ENGAGEMENT_WEIGHTS = {
    "likes": 1.0,
    "like_count": 1.0,
    "favourites": 1.0,
    "reposts": 2.0,
    "retweets": 2.0,
    "retweet_count": 2.0,
    "shares": 2.0,
    "replies": 1.5,
    "reply_count": 1.5,
    "comments": 1.5,
    "quotes": 2.0,
    "quote_count": 2.0,
    "views": 0.01,
    "impressions": 0.01,
}


@register
class InfluenceComponent:
    name: ClassVar[str] = "influence"
    version: ClassVar[str] = "v1"
    requires: ClassVar[tuple[str, ...]] = ()
    assigns: ClassVar[tuple[str, ...]] = ("influence",)

    def apply(self, post: Post, view: TextView, draft: Draft) -> None:
        followers = post.author.followers
        if followers is None:
            followers = post.metrics.get("followers", post.metrics.get("followers_count", 0))
        engagement = sum(post.metrics.get(key, 0) * weight for key, weight in _ENGAGEMENT_WEIGHTS.items())
        # log10(followers + 1) reaches 7 at 10 million; log10(engagement + 1) reaches 5 at 100,000.
        audience = min(1.0, math.log10(max(followers, 0) + 1) / 7.0)
        reach = min(1.0, math.log10(max(engagement, 0.0) + 1) / 5.0)
        score = round(100.0 * (0.6 * audience + 0.4 * reach), 1)
        if post.author.verified:
            score = min(100.0, score + 5.0)
        draft.influence = score
        draft.explanations.append(
            explanation(
                component=f"enrich.{self.name}.{self.version}",
                decision=f"{score:g}",
                score=score,
                reason=f"{followers} followers and weighted engagement {engagement:g} (log-scaled, 60/40)"
                + ("; verified account" if post.author.verified else ""),
            )
        )
