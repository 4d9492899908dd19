"""The C heap of a vaultlink process: large blocks go back to the system when they are freed."""

from __future__ import annotations

import ctypes
import sys

M_MMAP_THRESHOLD = -3
"""glibc's ``mallopt`` parameter number for the mmap threshold."""
MMAP_THRESHOLD = 128 * 1024
"""glibc's own starting value."""


def return_large_blocks() -> bool:
    """Fix glibc's mmap threshold at its starting value; True if that was done.

    glibc raises the threshold each time a mapped block is freed (up to 32 MB). From then on,
    blocks up to that size (numpy arrays) come from the heap, whose free space is seldom given
    back: building the ranking index of 20,000 notes left a fifth of its size stranded so. With
    the threshold fixed, every block over 128 kB has a mapping of its own, unmapped when freed.
    Only for Linux with glibc, and only the CLI calls it (it sets the whole process's allocator,
    which is not a library's to change); elsewhere nothing happens.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
