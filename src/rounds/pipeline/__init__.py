"""Enrichment pipeline: language, sentiment, intent, author kind, influence; and listening signals.

Use :class:`rounds.pipeline.enricher.Enricher`. Signals (spikes, emerging terms) live in
:mod:`rounds.pipeline.signals`. This package imports only ``rounds.domain``, the standard library and
third-party libraries.
"""
