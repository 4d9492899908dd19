"""vaultlink: link the notes of a markdown vault to each other, in the notes themselves."""

__version__ = "0.1.0"
