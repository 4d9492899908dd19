"""Where to draw each node of a graph: a force-directed layout in numpy, in seconds at 30,000 nodes.

The forces are ForceAtlas2's (Jacomy et al., 2014): edges pull their ends together in
proportion to their distance, every pair of nodes pushes apart in proportion to the product of
their masses (degree + 1) over their distance, and a gravity proportional to mass holds
components near the centre. The all-pairs push is what makes a naive layout quadratic; here it
is computed on a grid instead (particle-mesh, as in FFT-accelerated t-SNE): each node's mass is
spread over the four grid points around it, the grid is convolved with the 1/distance kernel by
FFT, and each node reads its push back from the same four points. One step costs O(nodes +
edges + G² log G) for a G × G grid; nodes in one grid cell hardly push each other, which at
G = 256 is below what a screen shows.

Steps move each node along its force over its mass (hubs move slowly, as in ForceAtlas2), each
step limited to a "temperature" that cools geometrically, so the layout settles in a fixed number
of steps whatever the graph: the result is a function of the graph and the starting positions.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import numpy.typing as npt
from scipy import sparse

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]

GRID = 256
"""The largest grid; a smaller graph gets a smaller one (``grid_size``), about four cells per
node across, which is all its nodes' spacing needs."""
STEPS = 300
REPULSION = 1.0
GRAVITY = 0.05
START_TEMPERATURE = 0.1
"""The first step's largest move, as a share of the drawing's extent; the last one's is 1,000 times less."""


def grid_size(n: int) -> int:
    return int(min(GRID, max(32, 2 ** math.ceil(math.log2(4 * math.sqrt(n))))))


def force_layout(sources: Ints, targets: Ints, start: Floats, steps: int = STEPS) -> Floats:
    """Positions (n × 2) for the nodes of the undirected graph whose edges join ``sources[k]`` and
    ``targets[k]``, starting from ``start`` (n × 2)."""
    n = len(start)
    position = np.array(start, dtype=np.float64)
    if n < 2:
        return position
    grid = grid_size(n)
    adjacency = sparse.coo_matrix((np.ones(len(sources)), (sources, targets)), shape=(n, n)).tocsr()
    adjacency = ((adjacency + adjacency.T) > 0).astype(np.float64)
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    mass = degree + 1.0
    kernel = _kernel_spectrum(grid)
    extent = _extent(position)
    temperature = START_TEMPERATURE * extent
    cooling = 1000.0 ** (-1.0 / max(steps - 1, 1))
    for _ in range(steps):
        position -= position.mean(axis=0)
        extent = _extent(position)
        force = adjacency @ position - degree[:, None] * position  # pull along edges
        force += REPULSION * mass[:, None] * _push(position, mass, kernel, grid, extent)
        force -= GRAVITY * mass[:, None] * position
        move = force / mass[:, None]
        length = np.hypot(move[:, 0], move[:, 1])
        move *= (np.minimum(length, temperature) / np.maximum(length, 1e-12))[:, None]
        position += move
        temperature *= cooling
    centred: Floats = position - position.mean(axis=0)
    return centred


def _extent(position: Floats) -> float:
    span = position.max(axis=0) - position.min(axis=0)
    return float(max(span.max(), 1e-9))


@functools.cache
def _kernel_spectrum(grid: int) -> tuple[npt.NDArray[np.complex128], npt.NDArray[np.complex128]]:
    """The FFTs of the push kernel's two components, offset/|offset|² in grid cells, on a grid
    twice as wide (zero-padding: the circular convolution is then the plain one)."""
    offsets = np.fft.fftfreq(2 * grid, 1.0 / (2 * grid))
    dx, dy = np.meshgrid(offsets, offsets, indexing="ij")
    squared = dx * dx + dy * dy
    squared[0, 0] = np.inf  # no push from a node's own cell point onto itself
    return np.fft.rfft2(dx / squared), np.fft.rfft2(dy / squared)


def _push(
    position: Floats,
    mass: Floats,
    kernel: tuple[npt.NDArray[np.complex128], npt.NDArray[np.complex128]],
    grid: int,
    extent: float,
) -> Floats:
    """Each node's push from all the others' masses, over distance, on a grid (module docstring)."""
    cell = extent / (grid - 2)
    scaled = (position - position.min(axis=0)) / cell + 0.5
    base = np.floor(scaled).astype(np.int64)
    frac = scaled - base
    corners = [(0, 0), (1, 0), (0, 1), (1, 1)]
    weights = [
        (frac[:, 0] if ox else 1 - frac[:, 0]) * (frac[:, 1] if oy else 1 - frac[:, 1]) for ox, oy in corners
    ]
    cells = [(base[:, 0] + ox) * (2 * grid) + base[:, 1] + oy for ox, oy in corners]
    density = np.zeros((2 * grid) * (2 * grid))
    for where, weight in zip(cells, weights, strict=True):
        density += np.bincount(where, weight * mass, minlength=density.size)
    spectrum = np.fft.rfft2(density.reshape(2 * grid, 2 * grid))
    shape = (2 * grid, 2 * grid)
    field_x = np.fft.irfft2(spectrum * kernel[0], shape).ravel()
    field_y = np.fft.irfft2(spectrum * kernel[1], shape).ravel()
    push = np.zeros_like(position)
    for where, weight in zip(cells, weights, strict=True):
        push[:, 0] += weight * field_x[where]
        push[:, 1] += weight * field_y[where]
    return push / cell
