"""The account registry's vocabulary."""

from __future__ import annotations

from enum import StrEnum


class AccountPlatform(StrEnum):
    X = "x"
    FACEBOOK = "facebook"
    INSTAGRAM = "instagram"
    YOUTUBE = "youtube"
    LINKEDIN = "linkedin"
    BLUESKY = "bluesky"
    MASTODON = "mastodon"
    REDDIT = "reddit"
    TIKTOK = "tiktok"
    BLOG = "blog"
    GOOGLE_BUSINESS_PROFILE = "google_business_profile"
    YELP = "yelp"
    FOURSQUARE = "foursquare"
    OTHER = "other"


class AccountStatus(StrEnum):
    ACTIVE = "active"
    DORMANT = "dormant"
    RETIRED = "retired"
    UNOFFICIAL_FOUND = "unofficial_found"


class AccountFlag(StrEnum):
    NO_OWNER = "no_owner"
    NO_BACKUP = "no_backup"
    INACTIVE = "inactive"  # no activity for N days (settings.dormant_after_days)
    UNOFFICIAL = "unofficial"
