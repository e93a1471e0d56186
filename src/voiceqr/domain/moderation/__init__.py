"""Content moderation: what is flagged, what a decision does and who may take it."""
