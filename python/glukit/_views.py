"""Describing NumPy arrays and torch CPU tensors to the library, zero-copy.

A glk_tensor holds the address of the first element, the shape, and strides
counted in elements (the library accepts any strides, so nothing is copied).
"""
import ctypes
import sys

from . import _lib



_ITEM_SIZE = {_lib.DTYPE_F32: 4, _lib.DTYPE_F64: 8, _lib.DTYPE_F16: 2, _lib.DTYPE_BF16: 2}


def _numpy():
    return sys.modules.get("numpy")


def _torch():
    return sys.modules.get("torch")


def _code_from_hint(hint):
    codes = {name: code for code, name in _lib.DTYPE_NAMES.items()}
    if hint not in codes:
        raise ValueError("dtype must be one of %s, got %r" % (", ".join(codes), hint))
    return codes[hint]


def _numpy_code(array, hint):
    np = _numpy()
    dt = array.dtype
    if not dt.isnative:
        raise TypeError("glukit needs native byte order, got dtype %s; use "
                        "array.astype(array.dtype.newbyteorder('='))" % dt.str)
    if dt == np.uint16:
        if hint != "bf16":
            raise TypeError("a uint16 array holds bfloat16 only with dtype='bf16'")
        return _lib.DTYPE_BF16
    codes = {np.dtype(np.float32): _lib.DTYPE_F32, np.dtype(np.float64): _lib.DTYPE_F64,
             np.dtype(np.float16): _lib.DTYPE_F16}
    if dt not in codes:
        raise TypeError("glukit takes float32, float64, float16, or uint16 with "
                        "dtype='bf16'; got %s" % dt)
    return codes[dt]


def _torch_code(tensor):
    torch = _torch()
    codes = {torch.float32: _lib.DTYPE_F32, torch.float64: _lib.DTYPE_F64,
             torch.float16: _lib.DTYPE_F16, torch.bfloat16: _lib.DTYPE_BF16}
    if tensor.dtype not in codes:
        raise TypeError("glukit takes float32, float64, float16 or bfloat16 "
                        "tensors; got %s" % tensor.dtype)
    return codes[tensor.dtype]


def is_torch(obj):
    torch = _torch()
    return torch is not None and isinstance(obj, torch.Tensor)


def is_numpy(obj):
    np = _numpy()
    return np is not None and isinstance(obj, np.ndarray)


# Per call, a description costs more Python than the library's own work on a
# small tensor, so what depends only on the dtype, shape and strides is kept:
# (code, item size, the GlkTensor's bytes with a null address) per key.
# Everything else (address, alignment, device, writability) is checked on
# every call. The caches are bounded by clearing: a workload with endless
# shapes only loses the shortcut.
_CACHE_LIMIT = 1024
_templates = {}
_output_shapes = {}


def _remember(cache, key, value):
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[key] = value


def _from_template(template, address):
    tensor = _lib.GlkTensor.from_buffer_copy(template[2])
    tensor.data = address
    return tensor


def describe(obj, dtype=None, writable=False, what="argument"):
    """A GlkTensor viewing obj's memory. dtype: None or "f32"/"f64"/"f16"/"bf16"
    (needed for bfloat16 held in a NumPy uint16 array)."""
    torch = _torch()
    if torch is not None and isinstance(obj, torch.Tensor):
        if obj.is_cpu and obj.layout is torch.strided:
            template = _templates.get((obj.dtype, obj.shape, obj.stride(), dtype))
            address = obj.data_ptr()
            if template is not None and address and address % template[1] == 0:
                return _from_template(template, address)
    elif is_numpy(obj) and (obj.flags.writeable or not writable):
        template = _templates.get((obj.dtype, obj.shape, obj.strides, dtype))
        if template is not None:
            address = obj.ctypes.data
            if address and address % template[1] == 0:
                return _from_template(template, address)
    return _describe_checked(obj, dtype, writable, what)


def _describe_checked(obj, dtype, writable, what):
    """describe() with every check, remembering the template for the key."""
    if is_numpy(obj):
        code = _numpy_code(obj, dtype)
        if writable and not obj.flags.writeable:
            raise ValueError("%s is a read-only array" % what)
        itemsize = obj.dtype.itemsize
        for s in obj.strides:
            if s % itemsize:
                raise ValueError("%s has a stride of %d bytes, not a multiple of "
                                 "its item size %d" % (what, s, itemsize))
        strides = [s // itemsize for s in obj.strides]
        address = obj.ctypes.data
        key = (obj.dtype, obj.shape, obj.strides, dtype)
    elif is_torch(obj):
        if obj.device.type != "cpu":
            raise TypeError("%s is on %s; glukit takes CPU tensors" % (what, obj.device))
        if obj.layout != _torch().strided:
            raise TypeError("%s has layout %s; glukit takes strided tensors"
                            % (what, obj.layout))
        code = _torch_code(obj)
        strides = list(obj.stride())
        address = obj.data_ptr()
        key = (obj.dtype, obj.shape, obj.stride(), dtype)
    else:
        raise TypeError("%s must be a numpy.ndarray or a torch.Tensor, got %s"
                        % (what, type(obj).__name__))
    if address % _ITEM_SIZE[code]:
        # Possible with np.frombuffer at an odd offset; the kernels load
        # whole elements.
        raise ValueError("%s starts at address 0x%x, not aligned to its %d-byte "
                         "elements" % (what, address, _ITEM_SIZE[code]))
    if dtype is not None and _code_from_hint(dtype) != code:
        raise TypeError("%s holds %s, not the requested dtype %r"
                        % (what, _lib.DTYPE_NAMES[code], dtype))
    shape = list(obj.shape)
    if len(shape) > _lib.MAX_RANK:
        raise _lib.GlukitValueError(
            "%s has rank %d; glukit takes at most %d dimensions"
            % (what, len(shape), _lib.MAX_RANK), "GLK_ERR_RANK")
    tensor = _lib.GlkTensor()
    tensor.dtype = code
    tensor.rank = len(shape)
    for d, (n, s) in enumerate(zip(shape, strides)):
        tensor.shape[d], tensor.strides[d] = n, s
    _remember(_templates, key, (code, _ITEM_SIZE[code], bytes(tensor)))
    if not address:
        # An empty torch tensor may have no storage (address 0). The library
        # wants a non-NULL pointer, never reads through it for an empty
        # view, and must not take two such views for the same buffer.
        tensor.placeholder = ctypes.create_string_buffer(1)
        address = ctypes.addressof(tensor.placeholder)
    tensor.data = address
    return tensor


def output_shape(shape, dim):
    """Y's shape for X's shape (a tuple), from the library's shape inference."""
    known = _output_shapes.get((shape, dim))
    if known is not None:
        return known
    rank = len(shape)
    if rank > _lib.MAX_RANK:
        raise _lib.GlukitValueError("rank %d is above glukit's limit of %d"
                                    % (rank, _lib.MAX_RANK), "GLK_ERR_RANK")
    x_shape = (ctypes.c_int64 * max(rank, 1))(*shape)
    y_shape = (ctypes.c_int64 * max(rank, 1))()
    if not -2**31 <= dim < 2**31:
        raise ValueError("dim %d is out of range" % dim)
    _lib.check(_lib.lib().glk_output_shape(rank, x_shape, dim, y_shape))
    _remember(_output_shapes, (shape, dim), tuple(y_shape[:rank]))
    return tuple(y_shape[:rank])


def empty_like_kind(like, shape):
    """An uninitialised array or tensor of like's kind and dtype."""
    if is_torch(like):
        return _torch().empty(shape, dtype=like.dtype)
    return _numpy().empty(shape, dtype=like.dtype)
