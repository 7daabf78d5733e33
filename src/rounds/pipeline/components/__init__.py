"""Built-in enrichment components. Importing this package registers them; ``requires`` decides the run order."""

from rounds.pipeline.components import author, intent, language, sentiment

__all__ = ["author", "intent", "language", "sentiment"]
