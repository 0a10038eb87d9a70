"""torch.save files of a state dict, read without PyTorch and without running pickled code.

The state dict is pickled as an OrderedDict of rebuilt tensors,

    torch._utils._rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad,
                                    backward_hooks[, metadata])   metadata {'neg': True}: negated
    torch._utils._rebuild_tensor_v3(..., backward_hooks, dtype[, metadata])   uint16/32/64
    torch._utils._rebuild_parameter(tensor, requires_grad, backward_hooks)    an nn.Parameter

sizes and strides in elements, and each storage a persistent id
('storage', storage type, key, location, numel), the type a torch.<Type>Storage
(FloatStorage ... BoolStorage), or torch.storage.UntypedStorage (numel in bytes) with the
dtype (torch.uint16 ...) given to _rebuild_tensor_v3. The storages' bytes lie outside the
pickle, in one of two containers:

Zip (torch >= 1.6, the default):
    <archive>/data.pkl        the pickle
    <archive>/data/<key>      storage <key>'s bytes, numel * itemsize of them
    <archive>/byteorder       'little' or 'big' (absent in older files: little)
    <archive>/version, ...    not needed
Legacy (torch < 1.6, or _use_new_zipfile_serialization=False), pickles one after another:
    the magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, system information,
    the state dict (persistent ids with a 6th field: None, or a view of the storage
    (view key, offset, numel)), the list of storage keys; then for each key in that order
    its element count (8 bytes) and its bytes, both little-endian.

Every pickle goes through an Unpickler that admits only these globals and
collections.OrderedDict, each mapped to a record of ours: torch is never imported and
nothing pickled is ever called. Anything else (a whole pickled model's classes,
os.system, ...) raises WeightsError naming it.
"""
import collections
import io
import pickle
import struct
import zipfile
from typing import NamedTuple

import numpy as np

from ..errors import WeightsError

LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
LEGACY_PROTOCOL = 1001
ZIP_SIGNATURE = b"PK\x03\x04"
# torch dtype -> NumPy type of its elements (bfloat16: the upper 16 bits of a float32)
ELEMENTS = {"float64": "f8", "float32": "f4", "float16": "f2", "bfloat16": "u2", "int64": "i8",
            "int32": "i4", "int16": "i2", "int8": "i1", "uint8": "u1", "bool": "?",
            "uint16": "u2", "uint32": "u4", "uint64": "u8"}
STORAGES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
            "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
            "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
            "BoolStorage": "bool", "UntypedStorage": "uint8"}
ADVICE = "save model.state_dict() instead"


class Dtype(NamedTuple):
    """A torch dtype or storage type (torch.float32, torch.FloatStorage), by its dtype's name."""
    name: str


class Storage(NamedTuple):
    """``nbytes`` bytes from byte ``start`` of storage ``key``, elements of torch dtype ``dtype``."""
    key: str
    dtype: str
    start: int
    nbytes: int


class Tensor(NamedTuple):
    """A tensor still to be read: its storage, offset, size and stride (in elements)."""
    storage: Storage
    offset: int
    size: tuple
    stride: tuple
    negative: bool = False


def rebuild_tensor(storage, offset, size, stride, requires_grad=False, hooks=None, metadata=None):
    """torch._utils._rebuild_tensor and _rebuild_tensor_v2, as a Tensor record."""
    return Tensor(storage, offset, tuple(size), tuple(stride), bool((metadata or {}).get("neg")))


def rebuild_tensor_v3(storage, offset, size, stride, requires_grad, hooks, dtype, metadata=None):
    """torch._utils._rebuild_tensor_v3: an untyped storage read as ``dtype``."""
    return rebuild_tensor(storage._replace(dtype=dtype.name), offset, size, stride, metadata=metadata)


def rebuild_parameter(tensor, requires_grad, hooks):
    """torch._utils._rebuild_parameter: an nn.Parameter is its tensor."""
    return tensor


GLOBALS = {("collections", "OrderedDict"): collections.OrderedDict,
           ("torch._utils", "_rebuild_tensor"): rebuild_tensor,
           ("torch._utils", "_rebuild_tensor_v2"): rebuild_tensor,
           ("torch._utils", "_rebuild_tensor_v3"): rebuild_tensor_v3,
           ("torch._utils", "_rebuild_parameter"): rebuild_parameter}


class Unpickler(pickle.Unpickler):
    """Unpickles the records of a state dict and nothing else; storages become Storage records."""

    def __init__(self, file, source):
        super().__init__(file)
        self.source = source
        self.roots = {}  # storage key -> (torch dtype, numel), for the legacy format's tail

    def find_class(self, module, name):
        if (module, name) in GLOBALS:
            return GLOBALS[module, name]
        if module in ("torch", "torch.storage") and name in STORAGES:
            return Dtype(STORAGES[name])
        if module == "torch" and name in ELEMENTS:
            return Dtype(name)
        raise WeightsError(f"{self.source} holds {module}.{name}, which cnnvis never unpickles: "
                           "it reads state dicts of float, integer and bool tensors, no other "
                           f"Python objects (such as a whole pickled model); {ADVICE}")

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], Dtype)):
            raise WeightsError(f"{self.source} refers to a {str(pid)[:40]} that is not a tensor's "
                               f"storage, which cnnvis does not read; {ADVICE}")
        _, storage_type, key, _location, numel, *view = pid
        dtype = storage_type.name
        self.roots[key] = dtype, numel
        itemsize = np.dtype(ELEMENTS[dtype]).itemsize
        if view and view[0] is not None:  # legacy: (view key, offset, numel) inside storage key
            _, offset, numel = view[0]
            return Storage(key, dtype, offset * itemsize, numel * itemsize)
        return Storage(key, dtype, 0, numel * itemsize)


def read_pytorch_file(path):
    """{name: array} of the state dict in the torch.save file ``path``, ``module.`` stripped.

    The file holds a state dict or a checkpoint dict with it under 'state_dict' or 'model'.
    float16 and bfloat16 tensors become float32 (exactly); the other dtypes are kept.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(4)
            if not head:
                raise WeightsError(f"{path} is empty; download or save it again")
            f.seek(0)
            return (read_zip if head == ZIP_SIGNATURE else read_legacy)(f, path)
    except WeightsError:
        raise
    except (pickle.UnpicklingError, zipfile.BadZipFile, EOFError, OSError, ValueError, TypeError,
            KeyError, IndexError, AttributeError, OverflowError, struct.error) as exc:
        raise WeightsError(f"cannot read {path} as a PyTorch file ({type(exc).__name__}: {exc}); "
                           "is it truncated or not written by torch.save?") from None


def read_zip(f, source):
    """The state dict of the zip archive open as ``f``."""
    with zipfile.ZipFile(f) as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
        if not pickles:
            raise WeightsError(f"{source} is a zip archive without a data.pkl, so not a torch.save "
                               f"file (it holds {', '.join(names[:4]) or 'nothing'})")
        prefix = pickles[0].removesuffix("data.pkl")
        order = archive.read(prefix + "byteorder") if prefix + "byteorder" in names else b"little"
        if order not in (b"little", b"big"):
            raise WeightsError(f"{source}: unknown byte order {order[:20]!r}; the file is corrupt")
        state = state_dict(Unpickler(io.BytesIO(archive.read(prefix + "data.pkl")), source).load(),
                           source)
        endian = "<" if order == b"little" else ">"
        return {name: to_array(t, archive.read(f"{prefix}data/{t.storage.key}"), endian, source)
                for name, t in state.items()}


def read_legacy(f, source):
    """The state dict of the legacy-format file open as ``f``."""
    if Unpickler(f, source).load() != LEGACY_MAGIC:
        raise WeightsError(f"{source} is not a torch.save file: neither a zip archive nor a "
                           "legacy file (no magic number); give a file written by torch.save")
    protocol = Unpickler(f, source).load()
    if protocol != LEGACY_PROTOCOL:
        raise WeightsError(f"{source}: legacy torch.save protocol {protocol!r}, cnnvis reads "
                           f"{LEGACY_PROTOCOL}; save it again with a recent PyTorch")
    Unpickler(f, source).load()  # system information: storages are little-endian regardless
    unpickler = Unpickler(f, source)
    state = state_dict(unpickler.load(), source)
    storages = {}
    for key in Unpickler(f, source).load():
        dtype, numel = unpickler.roots[key]
        (count,) = struct.unpack("<q", read_exactly(f, 8, source))
        if count != numel:
            raise WeightsError(f"{source}: storage {key} holds {count} elements, its tensors say "
                               f"{numel}; the file is corrupt")
        storages[key] = read_exactly(f, numel * np.dtype(ELEMENTS[dtype]).itemsize, source)
    return {name: to_array(t, storages[t.storage.key], "<", source) for name, t in state.items()}


def read_exactly(f, n, source):
    data = f.read(n)
    if len(data) != n:
        raise WeightsError(f"{source} ends inside a tensor's data: it is truncated; download or "
                           "save it again")
    return data


def state_dict(obj, source):
    """The {name: Tensor} of ``obj``: itself, or a checkpoint's 'state_dict' or 'model' entry."""
    if isinstance(obj, dict):
        obj = next((obj[k] for k in ("state_dict", "model") if isinstance(obj.get(k), dict)), obj)
    if not isinstance(obj, dict):
        raise WeightsError(f"{source} holds a {type(obj).__name__}, not a state dict; {ADVICE}")
    others = [repr(k) for k, v in obj.items() if not (isinstance(k, str) and isinstance(v, Tensor))]
    if others:
        raise WeightsError(f"{source} is not a state dict (a dict of tensors): {', '.join(others[:5])}"
                           f"{' ...' if len(others) > 5 else ''} are not tensors; {ADVICE}, alone or "
                           "as a checkpoint's 'state_dict' entry")
    return {k.removeprefix("module."): v for k, v in obj.items()}


def to_array(tensor, data, endian, source):
    """The NumPy array of ``tensor`` whose storage's bytes are ``data`` (``endian``: '<' or '>')."""
    storage, size, stride = tensor.storage, tensor.size, tensor.stride
    code = ELEMENTS[storage.dtype]
    itemsize = np.dtype(code).itemsize
    if storage.start + storage.nbytes > len(data) or storage.nbytes % itemsize:
        raise WeightsError(f"{source}: storage {storage.key} holds {len(data)} bytes, its tensors "
                           f"need {storage.start + storage.nbytes}; the file is corrupt")
    elements = np.frombuffer(data, endian + code, storage.nbytes // itemsize, storage.start)
    last = tensor.offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else -1
    if len(size) != len(stride) or min((tensor.offset, *size, *stride)) < 0 or last >= len(elements):
        raise WeightsError(f"{source}: a tensor of size {size}, stride {stride} and offset "
                           f"{tensor.offset} lies outside its storage; the file is corrupt")
    view = np.lib.stride_tricks.as_strided(elements[tensor.offset:] if all(size) else elements[:0],
                                           size, [s * itemsize for s in stride], writeable=False)
    values = widened(view, storage.dtype)
    return -values if tensor.negative else values


def widened(view, dtype):
    """A C-ordered native copy of ``view``; float16 and bfloat16 widened (exactly) to float32."""
    if dtype == "bfloat16":
        return (view.astype(np.uint32, order="C") << 16).view(np.float32)
    return view.astype(np.float32 if dtype == "float16" else view.dtype.newbyteorder("="), order="C")
