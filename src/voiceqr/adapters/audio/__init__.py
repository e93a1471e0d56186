"""Audio files: checking and converting the samples staff upload to the voice gallery."""
