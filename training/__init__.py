"""Training: corpora -> composed labelled pages -> models -> evaluation -> artifact."""
