"""Errors the library raises. Only ``cli.py`` turns them into messages and exit codes."""


class VaultlinkError(Exception):
    """Base of every error vaultlink reports to a user; its message is one line."""


class VaultNotFound(VaultlinkError):
    pass


class ConfigError(VaultlinkError):
    """A configuration file is unreadable or holds a bad value; the message names the file."""


class VaultLocked(VaultlinkError):
    """Another vaultlink process holds the vault's lock."""


class OutputError(VaultlinkError):
    """An output file (not a note) could not be written."""


class UnsafeStateFolder(VaultlinkError):
    """The vault's ``.vaultlink`` folder leads outside the vault; the message names it."""
