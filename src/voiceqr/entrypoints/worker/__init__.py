"""The background worker: consumes generation jobs and runs the sweeper."""
