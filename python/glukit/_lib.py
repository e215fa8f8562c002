"""Loading the glukit shared library and mirroring its C types with ctypes.

The structs here must match include/glukit.h field for field.
"""
import ctypes
import ctypes.util
import os
import threading

MAX_RANK = 8  # GLK_MAX_RANK
ABI_MAJOR = 0  # the GLK_VERSION_MAJOR these bindings were written for

DTYPE_F32, DTYPE_F64, DTYPE_F16, DTYPE_BF16 = 0, 1, 2, 3
DTYPE_NAMES = {DTYPE_F32: "f32", DTYPE_F64: "f64", DTYPE_F16: "f16", DTYPE_BF16: "bf16"}
LAYOUTS = {"halves": 0, "interleaved": 1}
GATES = {"second": 0, "first": 1}

STATUS_OK = 0
STATUS_NAMES = {
    1: "GLK_ERR_NULL_POINTER",
    2: "GLK_ERR_INVALID_ARGUMENT",
    3: "GLK_ERR_RANK",
    4: "GLK_ERR_AXIS",
    5: "GLK_ERR_ODD_SPLIT",
    6: "GLK_ERR_SHAPE_MISMATCH",
    7: "GLK_ERR_DTYPE_MISMATCH",
    8: "GLK_ERR_OVERFLOW",
    9: "GLK_ERR_OVERLAP",
    10: "GLK_ERR_UNSUPPORTED",
    11: "GLK_ERR_DEVICE",
    12: "GLK_ERR_OUT_OF_MEMORY",
}
STATUS_RANK = 3
STATUS_DTYPE_MISMATCH = 7


class GlkTensor(ctypes.Structure):
    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dtype", ctypes.c_int),
        ("rank", ctypes.c_int32),
        ("shape", ctypes.c_int64 * MAX_RANK),
        ("strides", ctypes.c_int64 * MAX_RANK),
    ]


class GlkOptions(ctypes.Structure):
    _fields_ = [
        ("struct_size", ctypes.c_size_t),
        ("act", ctypes.c_int),
        ("layout", ctypes.c_int),
        ("gate", ctypes.c_int),
        ("dim", ctypes.c_int32),
        ("accumulate", ctypes.c_int32),
        ("alpha", ctypes.c_double),
        ("limit", ctypes.c_double),
        ("isa", ctypes.c_int),
        ("num_threads", ctypes.c_int32),
    ]


class GlukitError(Exception):
    """A failed glukit call; `status` holds the library's status name."""

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


class GlukitValueError(GlukitError, ValueError):
    pass


class GlukitTypeError(GlukitError, TypeError):
    pass


def error_for(status, message):
    """The exception for a status code: dtype problems are TypeErrors."""
    name = STATUS_NAMES.get(status, "status %d" % status)
    cls = GlukitTypeError if status == STATUS_DTYPE_MISMATCH else GlukitValueError
    return cls(message, name)


def _candidates():
    explicit = os.environ.get("GLUKIT_LIBRARY")
    if explicit:
        return [explicit]
    here = os.path.dirname(os.path.abspath(__file__))
    names = ["libglukit.so", "libglukit.so.%d" % ABI_MAJOR, "libglukit.dylib", "glukit.dll"]
    found = [os.path.join(here, n) for n in names if os.path.exists(os.path.join(here, n))]
    system = ctypes.util.find_library("glukit")
    if system:
        found.append(system)
    # Last, let the dynamic loader search (LD_LIBRARY_PATH, ld.so.cache).
    return found + ["libglukit.so.%d" % ABI_MAJOR, "libglukit.so"]


def _declare(lib):
    c_int, c_int32, c_char_p = ctypes.c_int, ctypes.c_int32, ctypes.c_char_p
    p_tensor, p_options = ctypes.POINTER(GlkTensor), ctypes.POINTER(GlkOptions)
    p_int64 = ctypes.POINTER(ctypes.c_int64)
    signatures = {
        "glk_version": (c_int, []),
        "glk_version_string": (c_char_p, []),
        "glk_default_isa": (c_int, []),
        "glk_isa_name": (c_char_p, [c_int]),
        "glk_default_num_threads": (c_int, []),
        "glk_status_string": (c_char_p, [c_int]),
        "glk_last_error": (c_char_p, []),
        "glk_act_from_name": (c_int, [c_char_p, ctypes.POINTER(c_int)]),
        "glk_act_name": (c_char_p, [c_int]),
        "glk_options_init_sized": (None, [ctypes.c_void_p, ctypes.c_size_t]),
        "glk_output_shape": (c_int, [c_int32, p_int64, c_int32, p_int64]),
        "glk_forward": (c_int, [p_tensor, p_tensor, p_options]),
        "glk_backward": (c_int, [p_tensor, p_tensor, p_tensor, p_options]),
        "glk_forward_split": (c_int, [p_tensor, p_tensor, p_tensor, p_options]),
        "glk_backward_split": (
            c_int, [p_tensor, p_tensor, p_tensor, p_tensor, p_tensor, p_options]),
    }
    for name, (restype, argtypes) in signatures.items():
        fn = getattr(lib, name)
        fn.restype, fn.argtypes = restype, argtypes


_lib = None
_lock = threading.Lock()


def lib():
    """The loaded library (loaded on first use)."""
    global _lib
    if _lib is None:
        with _lock:
            if _lib is None:
                _lib = _load()
    return _lib


def _load():
    errors = []
    for path in _candidates():
        try:
            handle = ctypes.CDLL(path)
        except OSError as e:
            errors.append("%s: %s" % (path, e))
            continue
        _declare(handle)
        major = handle.glk_version() // 10000
        if major != ABI_MAJOR:
            raise ImportError("%s is glukit %s; these bindings need major version %d"
                              % (path, handle.glk_version_string().decode(), ABI_MAJOR))
        return handle
    raise ImportError("cannot load the glukit shared library; set GLUKIT_LIBRARY to "
                      "the path of libglukit.so (tried: %s)" % "; ".join(errors))


def check(status):
    """Raise for a failed call. Must run right after the call, in its thread,
    since glk_last_error() is per thread and reset by the next call."""
    if status == STATUS_OK:
        return
    handle = lib()
    message = (handle.glk_last_error() or b"").decode("utf-8", "replace")
    if not message:
        message = (handle.glk_status_string(status) or b"").decode("utf-8", "replace")
    raise error_for(status, message)


_act_codes = {}


def act_code(name):
    """The glk_act value for a name such as "swiglu", parsed by the library."""
    code = _act_codes.get(name)
    if code is None:
        if not isinstance(name, str):
            raise TypeError("act must be a name such as 'swiglu', got %r" % (name,))
        value = ctypes.c_int()
        check(lib().glk_act_from_name(name.encode("utf-8"), ctypes.byref(value)))
        code = _act_codes[name] = value.value
    return code


ISAS = {"auto": 0, "scalar": 1, "avx2": 2, "avx512": 3, "neon": 4}


def make_options(act="glu", dim=-1, gate="second", layout="halves",
                 alpha=1.702, limit=7.0, accumulate=False, isa="auto",
                 num_threads=0):
    """A glk_options filled by the library's defaults, then by the arguments."""
    # The library writes only the fields our struct has.
    options = GlkOptions()
    lib().glk_options_init_sized(ctypes.byref(options), ctypes.sizeof(GlkOptions))
    options.act = act_code(act)
    if layout not in LAYOUTS:
        raise ValueError("layout must be 'halves' or 'interleaved', got %r" % (layout,))
    if gate not in GATES:
        raise ValueError("gate must be 'second' or 'first', got %r" % (gate,))
    options.layout, options.gate = LAYOUTS[layout], GATES[gate]
    dim = int(dim)
    if not -2**31 <= dim < 2**31:
        raise ValueError("dim %d is out of range" % dim)
    options.dim = dim
    options.accumulate = 1 if accumulate else 0
    options.alpha, options.limit = float(alpha), float(limit)
    if isa not in ISAS:
        raise ValueError("isa must be one of %s, got %r" % (sorted(ISAS), isa))
    options.isa = ISAS[isa]
    options.num_threads = int(num_threads)
    return options


_options_cache = {}


def options_for(act="glu", dim=-1, gate="second", layout="halves", alpha=1.702,
                limit=7.0, accumulate=False, isa="auto", num_threads=0):
    """make_options, kept per argument tuple (building one costs more than a
    small call's kernel work). The struct returned is shared: read only."""
    key = (act, dim, gate, layout, alpha, limit, accumulate, isa, num_threads)
    try:
        options = _options_cache.get(key)
    except TypeError:  # an unhashable argument: make_options reports it
        return make_options(*key)
    if options is None:
        options = make_options(*key)
        if len(_options_cache) >= 1024:
            _options_cache.clear()
        _options_cache[key] = options
    return options


def default_isa():
    """The CPU kernels GLK_ISA_AUTO runs here: 'avx512', 'avx2', 'neon' or
    'scalar' (the environment variable GLUKIT_ISA can lower it)."""
    return lib().glk_isa_name(lib().glk_default_isa()).decode("ascii")


def default_num_threads():
    """Threads a call uses by default (GLUKIT_NUM_THREADS or every core)."""
    return lib().glk_default_num_threads()


def version():
    """The version string of the loaded library, e.g. "0.1.0"."""
    return lib().glk_version_string().decode()
