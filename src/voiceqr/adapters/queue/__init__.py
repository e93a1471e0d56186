"""The job queue on Taskiq: in-process (embedded) or Redis streams (production)."""
