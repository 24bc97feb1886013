"""contestbot: runs fair, verifiable engagement competitions on X (Twitter) for community organisations."""

__version__ = "0.1.0"
