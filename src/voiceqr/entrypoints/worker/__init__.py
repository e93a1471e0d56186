"""The background worker: consumes jobs and runs each feature's periodic jobs."""
