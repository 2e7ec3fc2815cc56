"""Open a model file and say what code it could run when loaded, without loading it.

:func:`inspect_file` takes a seekable binary file (the artifact, already streamed into a bounded
temporary spool by the collector) and returns an :class:`Inspection`: the formats found, the
dangerous imports (module, name, member), the unknown ones, and the problems that kept the
inspection from being complete. Nothing is ever unpickled, deserialised into objects or executed:

- pickle streams (raw, joblib, PyTorch ``data.pkl``, NumPy object arrays) go to picklescan, which
  lists their imports from the opcodes (``pickletools.genops``);
- Keras ``config.json`` is parsed as JSON (with :func:`cspm.inputs.parse_json`'s limits); HDF5
  files and SavedModel protos are searched as bytes;
- safetensors: the header only; GGUF and ONNX: the magic only.

Containers (gzip, tar, zip) are walked member by member; each member is copied into a spooled
temporary file (memory up to :data:`SPOOL_MEMORY`, then the temporary directory given) and never
extracted under its own name. Bounded by :class:`Limits`: bytes unpacked in all, the ratio of
unpacked to packed bytes (decompression bombs), the number of members and the nesting depth.
Tar members with ``..``, absolute names, links or devices are problems of the artifact.
"""

from __future__ import annotations

import ast
import gzip
import io
import logging
import pickletools
import re
import struct
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import IO, Final

log = logging.getLogger(__name__)

MiB: Final = 2**20
SPOOL_MEMORY: Final = 4 * MiB  # a member larger than this is spooled to the temporary directory
CHUNK: Final = MiB

# Formats whose loading runs code the file names (pickle's GLOBAL/REDUCE).
PICKLE_BASED: Final = frozenset({"pickle", "joblib", "pytorch", "numpy-object"})
# Formats that hold data only: loading them runs nothing the file names.
DATA_ONLY: Final = frozenset({"safetensors", "onnx", "gguf", "numpy"})
# Formats that may carry code but not through pickle: Keras Lambda layers, TensorFlow graph ops.
# The unsafe-code check looks inside them; the safe-format check does not fail them.
CODE_CAPABLE: Final = frozenset({"keras", "keras-h5", "tf-savedmodel"})
CONTAINERS: Final = frozenset({"gzip", "tar", "zip", "npz"})
MODEL_FORMATS: Final = PICKLE_BASED | DATA_ONLY | CODE_CAPABLE

PICKLE_SUFFIXES: Final = (".pkl", ".pickle", ".joblib", ".pt", ".pth", ".bin", ".ckpt", ".sav", ".dat")
# TensorFlow ops that touch the file system or run Python (as modelscan lists them, plus PyFunc).
UNSAFE_TF_OPS: Final = ("ReadFile", "WriteFile", "MatchingFiles", "PyFunc", "PyFuncStateless", "EagerPyFunc")
_LAMBDA = re.compile(rb'"class_name":\s*"Lambda"')
SAFETENSORS_MAX_HEADER: Final = 100 * MiB  # the format's own limit


@dataclass(frozen=True)
class Limits:
    """Bounds of one artifact's inspection. ``max_bytes`` (what is read from the store) is
    enforced by the collector; the others here."""

    max_bytes: int = 512 * MiB
    max_unpacked: int = 2048 * MiB  # all members, decompressed, together
    max_ratio: int = 200  # unpacked / packed, checked once a member passes 1 MiB
    max_members: int = 10_000
    max_depth: int = 3


@dataclass(frozen=True)
class Import:
    module: str
    name: str
    member: str  # where: the file name, or "model.tar.gz!model.pt!archive/data.pkl"


@dataclass
class Inspection:
    format: str = "unknown"  # of the file itself
    members: list[tuple[str, str]] = field(default_factory=list)  # (member, format) of model files
    dangerous: list[Import] = field(default_factory=list)
    unknown: list[Import] = field(default_factory=list)  # imports neither known safe nor dangerous
    problems: list[str] = field(default_factory=list)  # why the inspection is incomplete
    unpacked: int = 0

    @property
    def formats(self) -> set[str]:
        return {f for _, f in self.members}


# What reading a broken file raises (a corrupt gzip, a bad zip directory, a truncated header ...).
_UNREADABLE = (
    OSError,
    EOFError,
    ValueError,
    SyntaxError,
    RecursionError,
    IndexError,
    zlib.error,
    tarfile.TarError,
    zipfile.BadZipFile,
    struct.error,
)


class _Stop(Exception):
    """A limit of the whole artifact was reached: inspection ends (recorded as a problem)."""


def scanner_versions() -> dict[str, str]:
    """The scanners the inspection uses, with their versions (for evidence)."""
    from importlib.metadata import version

    return {"picklescan": version("picklescan")}


def require_scanner() -> None:
    """Raise ModuleNotFoundError (the CLI turns it into MissingExtra 'artifacts') without picklescan."""
    import picklescan.scanner  # noqa: F401


def inspect_file(f: IO[bytes], name: str, limits: Limits, tmpdir: str | None = None) -> Inspection:
    """Inspect one artifact. ``f`` is seekable; ``name`` its object key (for the format and
    the member paths). Never raises for a bad file: its problems are in the result."""
    result = Inspection()
    walker = _Walker(limits, result, tmpdir)
    try:
        result.format = walker.file(f, name, name, depth=0)
    except _Stop as stop:
        result.problems.append(str(stop))
    return result


class _Walker:
    def __init__(self, limits: Limits, result: Inspection, tmpdir: str | None) -> None:
        self.limits = limits
        self.result = result
        self.tmpdir = tmpdir
        self.member_count = 0

    # -- dispatch ----------------------------------------------------------------------------

    def file(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        self._member(where, depth)
        head = _peek(f, 512)
        kind = sniff(head, name)
        handler = getattr(self, "_" + kind.replace("-", "_"), None)
        if handler is None:
            return kind
        try:
            found: str = handler(f, name, where, depth)
        except _Stop:
            raise
        except _UNREADABLE as exc:
            self.problem(f"{where}: cannot read the {kind} data ({type(exc).__name__}: {_short(exc)})")
            found = kind
        if found in MODEL_FORMATS:
            self.result.members.append((where, found))
        return found

    def problem(self, text: str) -> None:
        if text not in self.result.problems:
            self.result.problems.append(text)

    def _member(self, where: str, depth: int) -> None:
        self.member_count += 1
        if self.member_count > self.limits.max_members:
            raise _Stop(f"more than {self.limits.max_members} members: inspection stopped")
        if depth > self.limits.max_depth:
            raise _Stop(f"{where}: containers nested more than {self.limits.max_depth} deep: inspection stopped")

    def _spool(self, source: IO[bytes], where: str, packed: int | None) -> IO[bytes]:
        """Copy what ``source`` unpacks into a spooled temporary file, counting it against the
        unpacked budget and, with ``packed`` (its compressed size), the ratio cap."""
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, dir=self.tmpdir)  # noqa: SIM115
        written = 0
        try:
            while chunk := source.read(CHUNK):
                written += len(chunk)
                self.result.unpacked += len(chunk)
                if self.result.unpacked > self.limits.max_unpacked:
                    raise _Stop(
                        f"{where}: more than {self.limits.max_unpacked // MiB} MiB unpacked "
                        "(decompression bomb?): inspection stopped"
                    )
                if packed is not None and written > MiB and written > self.limits.max_ratio * max(packed, 1):
                    raise _Stop(
                        f"{where}: unpacks to more than {self.limits.max_ratio} times its packed size "
                        "(decompression bomb?): inspection stopped"
                    )
                spool.write(chunk)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool

    # -- containers --------------------------------------------------------------------------

    def _gzip(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        packed = _size(f)
        inner = name[:-3] if name.endswith(".gz") else name.removesuffix(".tgz") + ".tar"
        with gzip.GzipFile(fileobj=f, mode="rb") as gz, self._spool(gz, where, packed) as spool:  # type: ignore[arg-type]
            kind = self.file(spool, inner, where, depth + 1)
        return "tar.gz" if kind == "tar" else kind

    def _tar(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        with tarfile.open(fileobj=f, mode="r:") as tar:
            for info in _members(tar):
                path = f"{where}!{info.name}"
                bad = _bad_tar_member(info)
                if bad:
                    self.problem(f"{path}: {bad}")
                    continue
                if not info.isfile():
                    continue
                source = tar.extractfile(info)
                if source is None:
                    continue
                with source:  # a seekable view of the member inside the (spooled) tar: no copy
                    self.file(source, info.name, path, depth + 1)
        return "tar"

    def _zip(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        with zipfile.ZipFile(f) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            kind = _zip_kind(names)
            for info in infos:
                path = f"{where}!{info.filename}"
                if info.is_dir():
                    continue
                bad = _bad_name(info.filename)
                if bad:
                    self.problem(f"{path}: {bad}")
                    continue
                if kind == "keras" and info.filename == "config.json":
                    with zf.open(info) as source, self._spool(source, path, info.compress_size) as spool:
                        self._keras_config(spool, path)
                    continue
                with zf.open(info) as source:
                    if sniff(source.read(512), info.filename) == "unknown":
                        self._member(path, depth + 1)
                        continue  # raw tensor data (PyTorch's data/0 ...): not unpacked
                with zf.open(info) as source, self._spool(source, path, info.compress_size) as spool:
                    member_kind = self.file(spool, info.filename, path, depth + 1)
                if kind == "pytorch" and member_kind == "pickle":
                    self.result.members[-1] = (path, "pytorch")
        return kind

    # -- pickles -----------------------------------------------------------------------------

    def _pickle(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        self._scan_pickle(f, where)
        return "joblib" if name.endswith(".joblib") else "pickle"

    def _scan_pickle(self, f: IO[bytes], where: str) -> None:
        """Scan the pickle stream(s) at ``f``'s position. picklescan lists a stream's opcodes in
        memory with their arguments, so it scans a skeleton (:func:`pickle_skeleton`): the same
        opcodes with every long argument replaced by a short placeholder, spooled to the
        temporary directory. Memory stays flat whatever the size of the pickle."""
        from picklescan.scanner import SafetyLevel, scan_pickle_bytes

        skeleton: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_MEMORY, dir=self.tmpdir)  # noqa: SIM115
        with skeleton:
            cut = pickle_skeleton(f, skeleton)
            if cut:
                self.problem(f"{where}: {cut}")
            skeleton.seek(0)
            problem = _pickle_problem(skeleton)
            if problem and not cut:
                self.problem(f"{where}: {problem}")
            skeleton.seek(0)
            logging.getLogger("picklescan").disabled = True  # it logs each import at WARNING
            found = scan_pickle_bytes(skeleton, where)
        for g in found.globals:
            item = Import(module=g.module, name=g.name, member=where)
            if g.safety is SafetyLevel.Dangerous:
                self.result.dangerous.append(item)
            elif g.safety is SafetyLevel.Suspicious:
                self.result.unknown.append(item)

    def _numpy(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        descr = _npy_descr(f)
        if "O" not in descr:
            return "numpy"
        self._scan_pickle(f, where)  # the object array's pickle follows the header
        return "numpy-object"

    # -- data-only formats ---------------------------------------------------------------------

    def _safetensors(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        return self.safetensors_header(f, where, _size(f))

    def safetensors_header(self, f: IO[bytes], where: str, size: int) -> str:
        """Check the header at ``f``'s position against ``size``, the size of the whole file (which
        may be larger than what ``f`` holds: an artifact over the byte budget, header read only)."""
        (length,) = struct.unpack("<Q", f.read(8))
        if length > SAFETENSORS_MAX_HEADER:
            self.problem(f"{where}: the safetensors header claims {length} bytes (the format allows 100 MiB)")
            return "safetensors"
        if length > size - 8:
            self.problem(f"{where}: the safetensors header claims {length} bytes; the file holds {size - 8}")
            return "safetensors"
        header = _json_object(f.read(length), where)
        if isinstance(header, str):
            self.problem(header)
            return "safetensors"
        data = size - 8 - length
        for tensor, entry in header.items():
            if tensor == "__metadata__":
                continue
            offsets = entry.get("data_offsets") if isinstance(entry, dict) else None
            if not (isinstance(offsets, list) and len(offsets) == 2 and 0 <= offsets[0] <= offsets[1] <= data):
                self.problem(f"{where}: tensor {tensor!r} lies outside the file")
                break
        return "safetensors"

    def _gguf(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        return "gguf"

    def _onnx(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        return "onnx"

    # -- Keras and TensorFlow ----------------------------------------------------------------

    def _hdf5(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        if _search(f, _LAMBDA):
            self.result.dangerous.append(Import("keras.layers", "Lambda", where))
        return "keras-h5"

    def _keras_config(self, f: IO[bytes], where: str) -> None:
        config = _json_object(f.read(), where)
        if isinstance(config, str):
            self.problem(config)
            return
        if any(layer == "Lambda" for layer in _class_names(config)):
            self.result.dangerous.append(Import("keras.layers", "Lambda", where))

    def _tf_savedmodel(self, f: IO[bytes], name: str, where: str, depth: int) -> str:
        for op in UNSAFE_TF_OPS:
            # NodeDef.op is field 2 (tag 0x12), a length-prefixed string: exact op names only.
            f.seek(0)
            if _search(f, re.compile(re.escape(b"\x12" + bytes([len(op)]) + op.encode()))):
                self.result.dangerous.append(Import("tensorflow.raw_ops", op, where))
        f.seek(0)
        if _search(f, _LAMBDA):
            self.result.dangerous.append(Import("keras.layers", "Lambda", where))
        return "tf-savedmodel"


# ---------------------------------------------------------------------------------------------
# Pure helpers
# ---------------------------------------------------------------------------------------------


def inspect_header(head: bytes, name: str, size: int) -> Inspection | None:
    """An artifact too large to read whole, whose format holds data only: its header decides
    (safetensors: the whole JSON header; GGUF, ONNX: the magic). None for any other format."""
    kind = sniff(head, name)
    if kind not in ("safetensors", "gguf", "onnx"):
        return None
    result = Inspection(format=kind, members=[(name, kind)])
    if kind == "safetensors":
        _Walker(Limits(), result, None).safetensors_header(io.BytesIO(head), name, size)
    return result


def sniff(head: bytes, name: str) -> str:
    """The format of a file from its first bytes (and its name where the format has no magic)."""
    base = PurePosixPath(name).name.lower()
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar"
    if len(head) >= 2 and head[0] == 0x80 and 1 <= head[1] <= 5:
        return "pickle"
    return _sniff_by_name(head, base)


_MAGIC: Final = (
    (b"\x1f\x8b", "gzip"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\x93NUMPY", "numpy"),
    (b"GGUF", "gguf"),
    (b"\x89HDF\r\n\x1a\n", "hdf5"),
)


def _sniff_by_name(head: bytes, base: str) -> str:
    if len(head) >= 9 and head[8:9] == b"{" and base.endswith(".safetensors"):
        return "safetensors"
    if len(head) >= 9 and head[8:10] == b'{"' and struct.unpack("<Q", head[:8])[0] > 1:
        return "safetensors"
    if base.endswith(".onnx"):
        return "onnx"
    if base in ("saved_model.pb", "keras_metadata.pb"):
        return "tf-savedmodel"
    if base.endswith(PICKLE_SUFFIXES) and head[:1] in (b"(", b"c", b"]", b"}", b"K", b"I", b"N", b"S", b"V"):
        return "pickle"  # protocol 0 or 1 (no PROTO opcode)
    return "unknown"


def _peek(f: IO[bytes], n: int) -> bytes:
    start = f.tell()
    head = f.read(n)
    f.seek(start)
    return head


def _size(f: IO[bytes]) -> int:
    here = f.tell()
    end = f.seek(0, 2)
    f.seek(here)
    return end


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__


def _members(tar: tarfile.TarFile) -> Iterator[tarfile.TarInfo]:
    while True:
        info = tar.next()
        if info is None:
            return
        yield info


def _bad_name(name: str) -> str | None:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:[\\/]", name):
        return "an absolute path (would be written outside the model directory)"
    if ".." in PurePosixPath(name.replace("\\", "/")).parts:
        return "a path with '..' (would be written outside the model directory)"
    return None


def _bad_tar_member(info: tarfile.TarInfo) -> str | None:
    bad = _bad_name(info.name)
    if bad:
        return bad
    if info.issym() or info.islnk():
        return f"a {'symbolic' if info.issym() else 'hard'} link to {info.linkname!r}"
    if info.isdev() or info.isfifo():
        return "a device or FIFO"
    return None


def _zip_kind(names: list[str]) -> str:
    if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
        return "pytorch"
    if "config.json" in names and ("metadata.json" in names or "model.weights.h5" in names):
        return "keras"
    if names and all(n.endswith(".npy") for n in names):
        return "npz"
    return "zip"


def _pickle_problem(f: IO[bytes]) -> str | None:
    """Whether the pickle stream(s) parse to the end: a truncated or corrupt pickle is reported
    (picklescan still lists what it could read). Parses opcodes only."""
    try:
        while True:
            for _ in pickletools.genops(f):
                pass
            probe = f.read(1)
            if not probe:
                return None
            f.seek(-1, 1)
    except Exception as exc:  # pickletools raises ValueError, struct.error, UnicodeDecodeError ...
        return f"the pickle is truncated or corrupt ({type(exc).__name__}: {_short(exc)})"


# Pickle arguments longer than this (BINBYTES, BINUNICODE, LONG4 ...) are not copied into the
# skeleton picklescan scans: a placeholder of the same opcode stands in (names of imports are short).
ELIDE_OVER: Final = 64 * 1024
MAX_PICKLE_LINE: Final = MiB  # a protocol-0 argument line (GLOBAL, STRING ...) longer than this is corrupt
# picklescan holds each opcode of a stream in a list (~130 bytes each): past this many the rest
# of the stream is not scanned (a problem: ERROR unless what was scanned already decides a FAIL).
MAX_PICKLE_OPCODES: Final = 1_000_000
_OPCODES: Final = {op.code.encode("latin-1"): op for op in pickletools.opcodes}
_LENGTH: Final = {-2: ("<B", 1), -3: ("<i", 4), -4: ("<I", 4), -5: ("<Q", 8)}  # pickletools' TAKEN_FROM_ARGUMENT*


def pickle_skeleton(f: IO[bytes], out: IO[bytes]) -> str | None:
    """Copy the pickle stream(s) at ``f``'s position into ``out`` opcode by opcode (never
    unpickling), with every length-prefixed argument longer than :data:`ELIDE_OVER` replaced by a
    short placeholder of the same opcode and its bytes skipped, so memory is bounded by the
    longest argument kept. A stream that stops mid-opcode (truncated, an unknown opcode) is
    copied up to there, so parsing the skeleton reports it as the original would be. Returns a
    problem when the stream is over :data:`MAX_PICKLE_OPCODES` (the skeleton stops there)."""
    count = 0
    while code := f.read(1):
        count += 1
        if count > MAX_PICKLE_OPCODES:
            return f"more than {MAX_PICKLE_OPCODES:,} pickle opcodes: the rest was not scanned"
        out.write(code)
        op = _OPCODES.get(code)
        if op is None or not _copy_argument(op, f, out):
            return None  # not an opcode, or cut short: parsing the skeleton stops here too
    return None


def _copy_argument(op: pickletools.OpcodeInfo, f: IO[bytes], out: IO[bytes]) -> bool:
    """Copy (or elide) the argument of ``op``; False when the stream ends inside it."""
    arg = op.arg
    if arg is None:
        return True
    if arg.n >= 0:
        data = f.read(arg.n)
        out.write(data)
        return len(data) == arg.n
    if arg.n == -1:  # up to a newline (two lines for GLOBAL and INST)
        for _ in range(2 if arg.name == "stringnl_noescape_pair" else 1):
            line = f.readline(MAX_PICKLE_LINE)
            out.write(line)
            if not line.endswith(b"\n"):
                return False
        return True
    fmt, width = _LENGTH[arg.n]
    prefix = f.read(width)
    if len(prefix) < width:
        out.write(prefix)
        return False
    (length,) = struct.unpack(fmt, prefix)
    if length <= ELIDE_OVER:
        data = f.read(max(length, 0))
        out.write(prefix + data)
        return 0 <= length == len(data)
    left = _size(f) - f.tell()
    f.seek(min(length, left), 1)
    if left < length:  # truncated: the length stays, the bytes do not follow
        out.write(prefix)
        return False
    placeholder = b"\x00" if op.name == "LONG4" else f"<{length} bytes not copied>".encode()
    out.write(struct.pack(fmt, len(placeholder)) + placeholder)
    return True


def _npy_descr(f: IO[bytes]) -> str:
    magic = f.read(8)
    major = magic[6]
    if major == 1:
        (length,) = struct.unpack("<H", f.read(2))
    elif major in (2, 3):
        (length,) = struct.unpack("<I", f.read(4))
    else:
        raise ValueError(f"unsupported .npy version {major}")
    if length > 65536:
        raise ValueError(f".npy header of {length} bytes")
    header = ast.literal_eval(f.read(length).decode("latin-1"))
    if not isinstance(header, dict) or "descr" not in header:
        raise ValueError(".npy header without descr")
    return str(header["descr"])


def _json_object(raw: bytes, where: str) -> dict[str, object] | str:
    """The JSON object, or the problem as text."""
    from cspm.inputs import InputError, parse_json

    try:
        value = parse_json(raw.decode("utf-8", "replace"), where)
    except InputError as exc:
        return f"{where}: not valid JSON ({exc.message})"
    if not isinstance(value, dict):
        return f"{where}: not a JSON object"
    return value


def _class_names(node: object) -> Iterator[str]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            name = item.get("class_name")
            if isinstance(name, str):
                yield name
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _search(f: IO[bytes], pattern: re.Pattern[bytes], overlap: int = 256) -> bool:
    """Whether ``pattern`` occurs in the file, read in chunks (matches shorter than ``overlap``)."""
    tail = b""
    while chunk := f.read(CHUNK):
        window = tail + chunk
        if pattern.search(window):
            return True
        tail = window[-overlap:]
    return False
