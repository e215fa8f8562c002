"""glukit: gated-linear-unit (GLU) kernels for NumPy arrays and PyTorch CPU
tensors, over the glukit C library.

    >>> import glukit, torch
    >>> x = torch.randn(4, 16)
    >>> y = glukit.forward(x, act="swiglu")   # shape (4, 8)

Variants: glu, swiglu, geglu, geglu_tanh, geglu_quick, reglu, bilinear,
swiglu_oai. For autograd and nn.Module use glukit.torch. The shared library
is found through $GLUKIT_LIBRARY, next to this package, or on the system's
library path.
"""
from ._api import backward, backward_split, forward, forward_split
from ._lib import (GlukitError, GlukitTypeError, GlukitValueError, default_isa,
                   default_num_threads, version)

__version__ = "0.2.0"

ACTS = ("glu", "swiglu", "geglu", "geglu_tanh", "geglu_quick", "reglu",
        "bilinear", "swiglu_oai")

__all__ = ["forward", "backward", "forward_split", "backward_split", "version",
           "default_isa", "default_num_threads",
           "GlukitError", "GlukitValueError", "GlukitTypeError", "ACTS"]
