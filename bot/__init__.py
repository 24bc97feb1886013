"""contestbot: runs fair, verifiable engagement competitions on X (Twitter) for communities."""

__version__ = "0.1.0"
