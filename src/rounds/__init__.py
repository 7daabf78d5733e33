"""Rounds: the self-hosted social media command center for health care."""

__version__ = "0.1.0"
