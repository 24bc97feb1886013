"""Polling jobs that read X on a schedule besides the competitions' own poller."""
