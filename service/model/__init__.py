"""The model: pipeline (what the artifact holds), registry (loading), verdict, reasons."""

LABELS = ("injected_spam", "link_farm", "fabricated_listicle")
BLOCK_LABELS = ("content", "boilerplate", "injected_spam", "link_farm")
