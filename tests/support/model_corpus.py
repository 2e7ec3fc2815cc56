"""A corpus of model files for the artifact inspection: malicious pickles and benign ML files.

Built from opcodes and ``pickle.dumps`` of references (``pickle.dumps((os.system, ...))`` only
names ``os.system``: nothing runs). Nothing here ever loads a pickle. The module imports only the
standard library, so ``bench/`` can load it by path (like ``faults.py``).

``MALICIOUS`` and ``BENIGN`` map a sample name to ``(file name, bytes)``; the file name tells the
inspection which format to expect (``.pkl``, ``.pt``, ``.npy``, ``model.tar.gz`` ...).
"""

from __future__ import annotations

import builtins
import io
import json
import os
import pickle
import runpy
import struct
import subprocess
import tarfile
import webbrowser
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

# ---------------------------------------------------------------------------------------------
# Opcode helpers
# ---------------------------------------------------------------------------------------------


def _unicode(text: str) -> bytes:
    raw = text.encode()
    return (b"\x8c" + bytes([len(raw)]) + raw) if len(raw) < 256 else (b"X" + struct.pack("<I", len(raw)) + raw)


def _global0(module: str, name: str) -> bytes:
    """Protocol 0/1/2 GLOBAL opcode."""
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


class _Call:
    """An object whose pickle calls ``fn(*args)`` when loaded (never loaded here)."""

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self.fn = fn
        self.args = args

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.fn, self.args)


def reduce_pickle(fn: Callable[..., Any], *args: Any, protocol: int = 4) -> bytes:
    return pickle.dumps(_Call(fn, *args), protocol=protocol)


def stack_global_memo() -> bytes:
    """STACK_GLOBAL whose module and name come from the memo (BINGET), not literal strings."""
    return (
        b"\x80\x04"
        + _unicode("os") + b"\x94"  # MEMOIZE -> 0
        + _unicode("system") + b"\x94"  # MEMOIZE -> 1
        + _unicode("padding") + b"0"  # a string pushed and popped
        + b"h\x00h\x01\x93"  # BINGET 0, BINGET 1, STACK_GLOBAL
        + _unicode("id") + b"\x85R."  # TUPLE1, REDUCE, STOP
    )  # fmt: skip


def stack_global_late_memo() -> bytes:
    """The module name first appears as a dict value, memoised with BINPUT; the global is built
    much later from the memo (an obfuscated STACK_GLOBAL)."""
    return (
        b"\x80\x04}q\x00("  # EMPTY_DICT BINPUT 0 MARK
        + _unicode("note") + _unicode("subprocess") + b"q\x01"  # BINPUT 1 = "subprocess"
        + _unicode("cmd") + _unicode("check_output") + b"q\x02"  # BINPUT 2 = "check_output"
        + b"u"  # SETITEMS
        + _unicode("x") + b"0"
        + b"h\x01h\x02\x93"  # STACK_GLOBAL(subprocess, check_output)
        + _unicode("id") + b"\x85\x85R."  # (("id",),) -> REDUCE
    )  # fmt: skip


def inst_opcode() -> bytes:
    """Protocol 0 INST: ``os system`` instantiated with one argument."""
    return b"(S'id'\nios\nsystem\n."


def py2_builtin_eval() -> bytes:
    """Protocol 0 GLOBAL through the Python 2 name ``__builtin__``."""
    return _global0("__builtin__", "eval") + b"(S'1+1'\ntR."


def getattr_import() -> bytes:
    """``getattr(__import__('os'), 'system')('id')`` built from builtins only."""
    return (
        _global0("builtins", "getattr")
        + b"(" + _global0("builtins", "__import__") + b"(S'os'\ntR" + b"S'system'\ntR"
        + b"(S'id'\ntR."
    )  # fmt: skip


def nested_in_state() -> bytes:
    """A benign-looking state dict with the payload deep inside lists and tuples."""
    state = OrderedDict(
        layer1={"weight": [0.1, 0.2], "bias": (0.0,)},
        layer2={"meta": [{"notes": ("ok", _Call(os.system, "id"))}]},
    )
    return pickle.dumps(state, protocol=2)


def second_pickle_in_stream() -> bytes:
    """A harmless pickle followed by a malicious one in the same file (a loader may read both)."""
    return pickle.dumps({"epoch": 3}, protocol=4) + reduce_pickle(eval, "1+1")


def posix_system() -> bytes:
    """``posix.system``: the same function as ``os.system`` under the module's real name."""
    return _global0("posix", "system") + b"(S'id'\ntR."


# ---------------------------------------------------------------------------------------------
# Containers
# ---------------------------------------------------------------------------------------------


def torch_zip(data_pkl: bytes, name: str = "archive") -> bytes:
    """A PyTorch ``torch.save`` zip: ``<name>/data.pkl``, ``<name>/version``, a storage blob."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr(f"{name}/data.pkl", data_pkl)
        zf.writestr(f"{name}/version", "3\n")
        zf.writestr(f"{name}/data/0", b"\x00" * 64)
    return buf.getvalue()


def npy(descr: str, shape: tuple[int, ...], payload: bytes) -> bytes:
    """A ``.npy`` file (format 1.0) with the given dtype descriptor and raw payload."""
    header = repr({"descr": descr, "fortran_order": False, "shape": shape}).encode()
    pad = 64 - (10 + len(header) + 1) % 64
    header += b" " * pad + b"\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header + payload


def npz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def tar_gz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def safetensors(tensors: dict[str, tuple[str, list[int]]] | None = None) -> bytes:
    tensors = tensors or {"weight": ("F32", [2, 2])}
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        size = 4
        for dim in shape:
            size *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + size]}
        offset += size
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + b"\x00" * offset


def gguf() -> bytes:
    # magic, version 3, tensor count 0, metadata kv count 0
    return b"GGUF" + struct.pack("<IQQ", 3, 0, 0)


def onnx() -> bytes:
    # ModelProto: ir_version (field 1, varint) = 8, producer_name (field 2) = "cspm-test"
    return b"\x08\x08\x12\x09cspm-test"


def keras_zip(layers: list[dict[str, Any]]) -> bytes:
    config = {"class_name": "Sequential", "config": {"name": "seq", "layers": layers}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.5.0"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + b"\x00" * 32)
    return buf.getvalue()


def keras_h5(layers: list[dict[str, Any]]) -> bytes:
    """An HDF5 file (signature only) holding the ``model_config`` attribute text as Keras writes it."""
    config = json.dumps({"class_name": "Sequential", "config": {"name": "seq", "layers": layers}})
    return b"\x89HDF\r\n\x1a\n" + b"\x00" * 64 + config.encode() + b"\x00" * 64


def _node_def(name: str, op: str) -> bytes:
    n, o = name.encode(), op.encode()
    body = b"\x0a" + bytes([len(n)]) + n + b"\x12" + bytes([len(o)]) + o
    return b"\x0a" + bytes([len(body)]) + body  # GraphDef.node (field 1)


def saved_model(ops: list[str]) -> bytes:
    """A SavedModel directory in a tar.gz: ``saved_model.pb`` whose graph has nodes of ``ops``."""
    graph = b"".join(_node_def(f"n{i}", op) for i, op in enumerate(ops))
    return tar_gz({"1/saved_model.pb": b"\x08\x01" + graph, "1/variables/variables.index": b"\x00" * 16})


DENSE = {"class_name": "Dense", "config": {"name": "dense", "units": 4}}
_MARSHALLED = "4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMEAAAAfABTACkBTqkAKQHaAXhyAQAAAHIBAAAA"  # a marshalled lambda
LAMBDA = {"class_name": "Lambda", "config": {"name": "lam", "function": [_MARSHALLED, None, None]}}


# ---------------------------------------------------------------------------------------------
# Benign ML pickles, written as the libraries write them (references only)
# ---------------------------------------------------------------------------------------------


def torch_state_dict_pickle() -> bytes:
    """``data.pkl`` of ``torch.save(model.state_dict())``: OrderedDict of rebuilt tensors."""
    return (
        b"\x80\x02"
        + _global0("collections", "OrderedDict") + b")R"
        + _unicode("fc.weight")
        + _global0("torch._utils", "_rebuild_tensor_v2")
        + b"((X\x07\x00\x00\x00storage" + _global0("torch", "FloatStorage")
        + b"X\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ"
        + b"K\x00K\x02K\x02\x86K\x02K\x01\x86\x89" + _global0("collections", "OrderedDict") + b")Rtb"
        + b"R" + b"s."
    )  # fmt: skip


def sklearn_pickle() -> bytes:
    """A scikit-learn estimator with a NumPy array, as ``joblib.dump``/``pickle.dump`` writes it."""
    return (
        b"\x80\x04"
        + _unicode("sklearn.linear_model._logistic") + _unicode("LogisticRegression") + b"\x93)\x81}("
        + _unicode("C") + b"G?\xf0\x00\x00\x00\x00\x00\x00"
        + _unicode("coef_")
        + _unicode("numpy.core.multiarray") + _unicode("_reconstruct") + b"\x93"
        + _unicode("numpy") + _unicode("ndarray") + b"\x93K\x00\x85C\x01b\x87R"
        + b"(K\x01K\x02\x85" + _unicode("numpy") + _unicode("dtype") + b"\x93" + _unicode("f8") + b"\x89\x88\x87R"
        + b"(K\x03" + _unicode("<") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00t"
        + b"b\x89C\x10" + b"\x00" * 16 + b"tb"
        + b"ub."
    )  # fmt: skip


def xgboost_like_pickle() -> bytes:
    """A plain Python structure of hyperparameters and arrays (lists), protocol 5."""
    return pickle.dumps(
        {"params": {"eta": 0.3, "max_depth": 6}, "trees": [[0.1, 0.2, 0.3]] * 5, "names": frozenset({"a", "b"})},
        protocol=5,
    )


def builtins_safe_pickle() -> bytes:
    """Common containers and scalars that pickle references by global (set, complex, bytearray)."""
    return pickle.dumps({"s": {1, 2}, "c": complex(1, 2), "b": bytearray(b"ab"), "od": OrderedDict(a=1)}, protocol=2)


# ---------------------------------------------------------------------------------------------
# The corpus
# ---------------------------------------------------------------------------------------------

MALICIOUS: dict[str, tuple[str, bytes]] = {
    "os.system (protocol 0)": ("model.pkl", reduce_pickle(os.system, "id", protocol=0)),
    "os.system (protocol 2)": ("model.pkl", reduce_pickle(os.system, "id", protocol=2)),
    "os.system (protocol 4)": ("model.pkl", reduce_pickle(os.system, "id")),
    "posix.system": ("model.pkl", posix_system()),
    "subprocess.Popen": ("model.pkl", reduce_pickle(subprocess.Popen, ["id"])),
    "subprocess.check_output (late memo)": ("model.pkl", stack_global_late_memo()),
    "builtins.eval": ("model.pkl", reduce_pickle(builtins.eval, "1+1")),
    "builtins.exec": ("model.pkl", reduce_pickle(builtins.exec, "x=1")),
    "__builtin__.eval (py2 name)": ("model.pkl", py2_builtin_eval()),
    "getattr(__import__('os'))": ("model.pkl", getattr_import()),
    "runpy._run_code": ("model.pkl", reduce_pickle(runpy._run_code, "x=1", {})),  # type: ignore[attr-defined]
    "webbrowser.open": ("model.pkl", reduce_pickle(webbrowser.open, "http://127.0.0.1/")),
    "STACK_GLOBAL from memo": ("model.pkl", stack_global_memo()),
    "INST opcode": ("model.pkl", inst_opcode()),
    "nested in a state dict": ("model.pkl", nested_in_state()),
    "second pickle in the stream": ("model.pkl", second_pickle_in_stream()),
    "joblib file": ("model.joblib", reduce_pickle(os.system, "id", protocol=3)),
    "PyTorch zip data.pkl": ("model.pt", torch_zip(reduce_pickle(os.system, "id", protocol=2))),
    "NumPy object array": ("weights.npy", npy("|O", (1,), reduce_pickle(os.system, "id", protocol=3))),
    "npz with object array": ("arrays.npz", npz({"a.npy": npy("|O", (1,), reduce_pickle(eval, "1", protocol=3))})),
    "pickle in model.tar.gz": ("model.tar.gz", tar_gz({"model.pth": reduce_pickle(os.system, "id")})),
    "torch zip in model.tar.gz": ("model.tar.gz", tar_gz({"model.pt": torch_zip(stack_global_memo())})),
    "Keras Lambda layer (.keras)": ("model.keras", keras_zip([DENSE, LAMBDA])),
    "Keras Lambda layer (.h5)": ("model.h5", keras_h5([LAMBDA])),
    "SavedModel WriteFile op": ("model.tar.gz", saved_model(["Placeholder", "WriteFile"])),
}

BENIGN: dict[str, tuple[str, bytes]] = {
    "plain dict (protocol 4)": ("model.pkl", pickle.dumps({"weights": [0.1, 0.2], "epoch": 3}, protocol=4)),
    "containers and scalars": ("model.pkl", builtins_safe_pickle()),
    "hyperparameters (protocol 5)": ("model.pkl", xgboost_like_pickle()),
    "PyTorch state_dict": ("model.pt", torch_zip(torch_state_dict_pickle())),
    "scikit-learn estimator": ("model.joblib", sklearn_pickle()),
    "NumPy float array": ("weights.npy", npy("<f4", (2,), b"\x00" * 8)),
    "npz of float arrays": ("arrays.npz", npz({"a.npy": npy("<f8", (1,), b"\x00" * 8)})),
    "safetensors": ("model.safetensors", safetensors()),
    "ONNX": ("model.onnx", onnx()),
    "GGUF": ("model.gguf", gguf()),
    "Keras Dense (.keras)": ("model.keras", keras_zip([DENSE])),
    "SavedModel (math ops)": ("model.tar.gz", saved_model(["Placeholder", "MatMul", "Identity", "SaveV2"])),
    "safetensors in model.tar.gz": (
        "model.tar.gz",
        tar_gz({"model.safetensors": safetensors(), "config.json": b"{}", "code/inference.py": b"print(1)\n"}),
    ),
}
