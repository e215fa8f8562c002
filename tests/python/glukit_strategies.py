"""Hypothesis strategies for the differential tests: a variant, a dtype, a
random shape of rank 1-5 (sometimes empty), an axis, and random strided
views (axis orders, steps, flips, an offset into the storage)."""
from dataclasses import dataclass, field

import torch
from hypothesis import strategies as st

from glukit_testlib import ACTS, ALPHAS, DTYPES, LIMITS, Layout


@dataclass
class Case:
    act: str
    dtype: torch.dtype
    kind: str  # "torch" or "numpy"
    shape: tuple  # of x
    dim: int
    gate: str
    layout: str
    alpha: float
    limit: float
    seed: int
    x_layout: Layout = field(repr=False)
    out_layout: Layout = field(repr=False)  # None: let glukit allocate
    extra_layouts: list = field(repr=False, default_factory=list)

    @property
    def config(self):
        return dict(act=self.act, dim=self.dim, gate=self.gate, layout=self.layout,
                    alpha=self.alpha, limit=self.limit)

    @property
    def dtype_hint(self):
        # NumPy has no bfloat16: glukit takes its bits as uint16 plus this.
        return "bf16" if self.kind == "numpy" and self.dtype == torch.bfloat16 else None

    @property
    def y_shape(self):
        shape = list(self.shape)
        shape[self.dim] //= 2
        return tuple(shape)


@st.composite
def layouts(draw, rank, kind):
    if draw(st.integers(0, 3)) == 0:
        return Layout(rank)  # plain C-contiguous
    perm = draw(st.permutations(range(rank)))
    steps = draw(st.lists(st.sampled_from([1, 1, 2, 3]), min_size=rank, max_size=rank))
    if kind == "numpy":
        flips = draw(st.lists(st.booleans(), min_size=rank, max_size=rank))
    else:
        flips = [False] * rank  # torch has no negative strides
    offset = draw(st.sampled_from([0, 1]))
    return Layout(rank, perm, steps, flips, offset)


@st.composite
def cases(draw, acts=ACTS, extra_views=0):
    act = draw(st.sampled_from(acts))
    dtype = draw(st.sampled_from(DTYPES))
    kind = draw(st.sampled_from(["torch", "numpy"]))
    rank = draw(st.integers(1, 5))
    dim = draw(st.integers(-rank, rank - 1))
    largest = 4 if rank <= 3 else 3
    shape = [draw(st.integers(1, largest)) for _ in range(rank)]
    shape[dim] = 2 * draw(st.integers(1, 4))
    if draw(st.integers(0, 9)) == 0:  # now and then an empty tensor
        shape[draw(st.integers(0, rank - 1))] = 0
    oai = act == "swiglu_oai"
    return Case(
        act=act, dtype=dtype, kind=kind, shape=tuple(shape), dim=dim,
        gate=draw(st.sampled_from(["second", "first"])),
        layout=draw(st.sampled_from(["halves", "interleaved"])),
        alpha=draw(st.sampled_from(ALPHAS)) if oai else 1.702,
        limit=draw(st.sampled_from(LIMITS)) if oai else 7.0,
        seed=draw(st.integers(0, 2**32 - 1)),
        x_layout=draw(layouts(rank, kind)),
        out_layout=draw(st.one_of(st.none(), layouts(rank, kind))),
        extra_layouts=[draw(layouts(rank, kind)) for _ in range(extra_views)],
    )
