"""CSR arrays by hand: the few scipy operations ranking needs, done without the copies scipy's
own would make (the index's memory at 100,000 notes is bounded by these)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

try:  # what tocsr() runs; called here to write a transpose into arrays of our own (stacked_rows)
    from scipy.sparse._sparsetools import csr_tocsc as _csr_tocsc
except ImportError:  # a scipy without it: the same arrays through a copy
    _csr_tocsc = None

Matrix = Any
"""A scipy sparse matrix (scipy ships no type information)."""

NO_IDS = np.zeros(0, dtype=np.int64)
NO_TF = np.zeros(0)


def joined(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """The arrays end to end (an empty id array if there are none)."""
    return np.concatenate(arrays) if arrays else NO_IDS


def stacked(arrays: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-row column arrays as one CSR ``indices`` array and its ``indptr``."""
    return joined(arrays), indptr_of([len(a) for a in arrays])


def indptr_of(lengths: Sequence[int] | np.ndarray) -> np.ndarray:
    """The CSR ``indptr`` of rows this long."""
    return np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def narrowed(ids: np.ndarray, width: int) -> np.ndarray:
    """``ids`` as 32-bit integers when every id below ``width`` fits in them."""
    return ids.astype(np.int32) if width <= np.iinfo(np.int32).max else ids


def presence(indices: np.ndarray, indptr: np.ndarray, width: int) -> Matrix:
    """Rows × ``width`` columns: 1 (int8) at each row's ``indices``."""
    ones = np.ones(len(indices), dtype=np.int8)
    return sp.csr_matrix((ones, indices, indptr), shape=(len(indptr) - 1, width))


def presence_matrix(ids: Sequence[np.ndarray], width: int) -> Matrix:
    """Notes × ``width`` columns: 1 where the row's ids (ascending, once each) have the column."""
    return presence(*stacked(ids), width)


def normalise(matrix: Matrix) -> Matrix:
    """``matrix`` with unit rows (an empty row stays empty)."""
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ matrix)


def columns_of(matrix: Matrix, row: int) -> np.ndarray:
    """The column indices one CSR row holds."""
    columns: np.ndarray = matrix.indices[matrix.indptr[row] : matrix.indptr[row + 1]]
    return columns


def stacked_rows(blocks: Sequence[tuple[Matrix, bool, float]]) -> Matrix:
    """``sp.vstack`` of CSR blocks, bit for bit: each (matrix, transposed, weight) enters transposed
    or not, its values times ``weight``. The transposes are written straight into the result's
    arrays; ``vstack`` would hold every transposed block and the result at once, the index's largest
    transient (600 MB at 100,000 notes)."""
    heights = [m.shape[1] if transposed else m.shape[0] for m, transposed, _ in blocks]
    width = blocks[0][0].shape[0] if blocks[0][1] else blocks[0][0].shape[1]
    nnz = sum(m.nnz for m, _, _ in blocks)
    index = np.int32 if max(nnz, sum(heights), width) < np.iinfo(np.int32).max else np.int64
    data = np.empty(nnz)
    indices = np.empty(nnz, dtype=index)
    indptr = np.zeros(sum(heights) + 1, dtype=index)
    row = at = 0
    for (matrix, transposed, weight), height in zip(blocks, heights, strict=True):
        end = at + matrix.nnz
        if transposed:
            block_indptr = np.empty(height + 1, dtype=index)
            _transpose_into(matrix, block_indptr, indices[at:end], data[at:end])
        else:
            block_indptr = matrix.indptr
            indices[at:end] = matrix.indices
            data[at:end] = matrix.data
        if weight != 1.0:
            data[at:end] *= weight
        indptr[row : row + height + 1] = block_indptr + at
        row, at = row + height, end
    return sp.csr_matrix((data, indices, indptr), shape=(sum(heights), width))


def _transpose_into(matrix: Matrix, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> None:
    """The CSR arrays of ``matrix.T`` (as ``matrix.T.tocsr()`` gives them) into the given arrays."""
    if _csr_tocsc is None:
        transposed = matrix.T.tocsr()
        indptr[:], indices[:], data[:] = transposed.indptr, transposed.indices, transposed.data
        return
    rows, columns = matrix.shape
    own = matrix.indptr.astype(indices.dtype, copy=False), matrix.indices.astype(indices.dtype, copy=False)
    _csr_tocsc(rows, columns, *own, matrix.data.astype(data.dtype, copy=False), indptr, indices, data)


def with_rows(matrix: Matrix, rows: np.ndarray, replacement: Matrix) -> Matrix:
    """``matrix`` (CSR) with ``rows`` (ascending) replaced by the rows of ``replacement``, in order."""
    if not len(rows):
        return matrix
    replacement = sp.csr_matrix(replacement, copy=True)
    replacement.sort_indices()  # as the full build leaves every matrix (reasons search its rows)
    counts = np.diff(matrix.indptr)
    counts[rows] = np.diff(replacement.indptr)
    indptr = indptr_of(counts).astype(matrix.indptr.dtype)
    indices: list[np.ndarray] = []
    data: list[np.ndarray] = []
    start = 0
    for k, r in enumerate(rows):
        lo, hi = matrix.indptr[start], matrix.indptr[r]
        indices += [matrix.indices[lo:hi], replacement.indices[replacement.indptr[k] : replacement.indptr[k + 1]]]
        data += [matrix.data[lo:hi], replacement.data[replacement.indptr[k] : replacement.indptr[k + 1]]]
        start = r + 1
    indices.append(matrix.indices[matrix.indptr[start] :])
    data.append(matrix.data[matrix.indptr[start] :])
    out = sp.csr_matrix(
        (np.concatenate(data), np.concatenate(indices).astype(matrix.indices.dtype), indptr), shape=matrix.shape
    )
    out.has_sorted_indices = bool(matrix.has_sorted_indices)
    return out
