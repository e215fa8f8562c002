"""PyTorch integration: an autograd Function whose backward is the
library's backward, and an nn.Module.

    >>> from glukit.torch import GLU
    >>> layer = GLU(act="swiglu")
"""
import torch
from torch.autograd.function import once_differentiable

from . import _api


class GLUFunction(torch.autograd.Function):
    """y = value * act(gate) with glukit's forward and backward kernels.

    Arguments after x: act, dim, gate, layout, alpha, limit. Only first
    derivatives exist (the library has no second-order kernels).
    """

    @staticmethod
    def forward(ctx, x, act, dim, gate, layout, alpha, limit):
        ctx.config = dict(act=act, dim=dim, gate=gate, layout=layout,
                          alpha=alpha, limit=limit)
        ctx.save_for_backward(x)
        return _api.forward(x, **ctx.config)

    @staticmethod
    @once_differentiable
    def backward(ctx, dy):
        (x,) = ctx.saved_tensors
        dx = _api.backward(x, dy, **ctx.config)
        return (dx,) + (None,) * 6


def glu(x, act="glu", dim=-1, gate="second", layout="halves",
        alpha=_api.DEFAULT_ALPHA, limit=_api.DEFAULT_LIMIT):
    """Differentiable glukit forward on a torch tensor."""
    return GLUFunction.apply(x, act, dim, gate, layout, alpha, limit)


class GLU(torch.nn.Module):
    """The GLU family as a layer: splits its input along `dim` and returns
    value * act(gate), shaped like the input with `dim` halved."""

    def __init__(self, act="glu", dim=-1, gate="second", layout="halves",
                 alpha=_api.DEFAULT_ALPHA, limit=_api.DEFAULT_LIMIT):
        super().__init__()
        self.act, self.dim, self.gate, self.layout = act, dim, gate, layout
        self.alpha, self.limit = alpha, limit

    def forward(self, x):
        return glu(x, self.act, self.dim, self.gate, self.layout, self.alpha,
                   self.limit)

    def extra_repr(self):
        text = "act=%r, dim=%d, gate=%r, layout=%r" % (
            self.act, self.dim, self.gate, self.layout)
        if self.act == "swiglu_oai":
            text += ", alpha=%g, limit=%g" % (self.alpha, self.limit)
        return text
