"""The index cache on disk: arrays in a NumPy `.npz` file, everything else as JSON; no pickle.

Like bm25s saves its index, numbers go to `.npz` (read with `allow_pickle=False`) and the rest
to JSON (read with `json.loads`), so a file someone drops into the data folder can at worst be
refused, never run. Objects are written generically, so attributes added to the index later
are stored without changes here:

- every NumPy array or SciPy sparse matrix goes into the `.npz` under its attribute path;
- None, booleans, numbers, strings, lists, tuples, sets and dicts go to JSON (tagged where JSON
  has no such type);
- dataclasses of the article model and the classes in `_STORED` go to JSON by their fields or
  attributes, and are rebuilt only from this fixed list of classes;
- the Normalizer, the Intents and the settings are not stored but rebuilt from the current
  settings (the cache's fingerprint guarantees they are the ones the index was built with);
- an object met twice is written once and referred to, so shared objects stay shared.

Anything else makes `dump` raise `Unsupported`, and the index is simply not cached.
"""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from bot.articles import Article, FileResult, LoadResult, LoadWarning
from bot.intents import Intents
from bot.knowledge import Tag
from bot.normalize import Normalizer
from bot.repair import WordRepair
from bot.retrieval import Method, Retriever
from bot.richtext import Block, Span
from bot.sections import Section
from bot.settings import Settings

# Value types stored by their fields, in field order; rebuilt by calling the class.
_DATACLASSES: dict[str, type] = {c.__name__: c for c in (Article, Section, Block, Span, Tag, LoadResult, LoadWarning, FileResult, Method)}
# Classes stored by their attributes; rebuilt without calling their constructor.
_STORED: dict[str, type] = {c.__name__: c for c in (Retriever, WordRepair)}
_SPARSE: dict[str, type] = {c.__name__: c for c in (sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array, sparse.csc_array)}


class Unsupported(Exception):
    """The index holds a value this cache cannot store without pickle."""


@dataclasses.dataclass
class _Context:
    """What rebuilt objects are made from: the current settings."""

    settings: Settings
    normalizer: Normalizer | None = None
    intents: Intents | None = None

    def rebuild(self, name: str) -> object:
        if name == "Normalizer":
            if self.normalizer is None:
                self.normalizer = Normalizer(self.settings.language)
            return self.normalizer
        if name == "Intents":
            if self.intents is None:
                self.intents = Intents(self.settings.language.intents, self.rebuild("Normalizer"))  # type: ignore[arg-type]
            return self.intents
        raise ValueError(f"unknown rebuilt object {name!r}")


_REBUILT = (Normalizer, Intents)


def dump(state: Any, settings: Settings) -> tuple[str, dict[str, np.ndarray]]:
    """`state` as JSON text and the arrays beside it (raises `Unsupported`)."""
    counts: Counter[int] = Counter()
    _count(state, counts, set())
    encoder = _Encoder({k for k, n in counts.items() if n > 1}, _setting_paths(settings))
    return json.dumps(encoder.encode(state, "state"), separators=(",", ":")), encoder.arrays


def load(text: str, arrays: dict[str, np.ndarray], settings: Settings) -> Any:
    """The state `dump` wrote, rebuilt with the current settings."""
    return json.loads(text, object_hook=_Decoder(arrays, _Context(settings)).hook)


def write(json_path: Path, npz_path: Path, header: dict[str, Any], state: Any, settings: Settings) -> None:
    """Write the arrays, then the JSON (a header line and the state), each by atomic rename.

    A token in both files pairs them: a crash between the two renames leaves a pair that
    `read` refuses.
    """
    text, arrays = dump(state, settings)
    token = secrets.token_hex(8)
    arrays["__token__"] = np.frombuffer(token.encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    _replace(npz_path, buffer.getbuffer())
    _replace(json_path, (json.dumps({**header, "token": token}) + "\n" + text).encode())


def read_header(json_path: Path) -> tuple[dict[str, Any], str]:
    """The header of a cache file and the rest of its text."""
    head, _, rest = json_path.read_text(encoding="utf-8").partition("\n")
    header = json.loads(head)
    if not isinstance(header, dict):
        raise ValueError("the header is not an object")
    return header, rest


def read(header: dict[str, Any], text: str, npz_path: Path, settings: Settings) -> Any:
    """The state of a cache whose header was accepted; raises on any mismatch or damage."""
    with np.load(npz_path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    token = arrays.pop("__token__", np.zeros(0, dtype=np.uint8)).tobytes().decode("ascii", "replace")
    if token != header.get("token"):
        raise ValueError("the arrays file belongs to another cache")
    return load(text, arrays, settings)


def _replace(path: Path, data: bytes | memoryview) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        temporary.write_bytes(data)
        temporary.replace(path)
    finally:
        temporary.unlink(missing_ok=True)


def _setting_paths(settings: Settings) -> dict[int, str]:
    """The settings' parts (two levels deep) by identity, so the index refers to them by name."""
    paths: dict[int, str] = {id(settings): ""}
    for f in dataclasses.fields(settings):
        part = getattr(settings, f.name)
        if dataclasses.is_dataclass(part):
            paths[id(part)] = f.name
            for g in dataclasses.fields(part):
                value = getattr(part, g.name)
                if dataclasses.is_dataclass(value) or isinstance(value, dict):
                    paths.setdefault(id(value), f"{f.name}.{g.name}")
    return paths


def _children(value: Any) -> list[Any]:
    """The values inside `value` that the encoder visits."""
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in dataclasses.fields(value)]
    if type(value).__name__ in _STORED and type(value) in _STORED.values():
        return list(vars(value).values())
    if inspect.ismethod(value):
        return [value.__self__]
    return []


def _shareable(value: Any) -> bool:
    return not isinstance(value, (str, bytes, int, float, bool, type(None), np.ndarray, np.generic)) and not sparse.issparse(value)


def _count(value: Any, counts: Counter[int], open_: set[int]) -> None:
    """How often each shareable object is met, so only shared ones get an identity."""
    if not _shareable(value):
        return
    key = id(value)
    counts[key] += 1
    if counts[key] > 1:
        return
    if key in open_:
        raise Unsupported(f"a {type(value).__name__} contains itself")
    open_.add(key)
    for child in _children(value):
        _count(child, counts, open_)
    open_.discard(key)


class _Encoder:
    """Turns a state into JSON-ready values and named arrays."""

    def __init__(self, shared: set[int], settings: dict[int, str]) -> None:
        self.shared = shared
        self.settings = settings
        self.ids: dict[int, int] = {}
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any, path: str) -> Any:
        key = id(value)
        if key in self.ids:
            return {"$same": self.ids[key]}
        if key in self.settings and _shareable(value):
            return {"$setting": self.settings[key]}
        out = self._encode(value, path)
        if key in self.shared:
            self.ids[key] = len(self.ids)
            return {"$id": self.ids[key], "v": out}
        return out

    def _encode(self, value: Any, path: str) -> Any:  # noqa: C901, PLR0911 - one branch per stored type
        if value is None or isinstance(value, (bool, str)):
            return value
        if isinstance(value, (int, float)) and type(value) in (int, float):
            return value
        if isinstance(value, (np.ndarray, np.generic)):
            return {"$array": self._array(path, np.asarray(value)), "scalar": isinstance(value, np.generic)}
        if sparse.issparse(value):
            return self._sparse(value, path)
        if isinstance(value, Path):
            return {"$path": str(value)}
        if type(value) is Counter:
            return {"$counter": self._pairs(value, path)}
        if type(value) is dict:
            if all(type(k) is str and not k.startswith("$") for k in value):
                return {k: self.encode(v, f"{path}.{k}") for k, v in value.items()}
            return {"$dict": self._pairs(value, path)}
        if type(value) is list:
            return [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]
        if type(value) is tuple:
            return {"$t": [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]}
        if type(value) in (set, frozenset):
            items = [self.encode(v, f"{path}.{i}") for i, v in enumerate(value)]
            return {"$set": items, "frozen": type(value) is frozenset}
        name = type(value).__name__
        if _DATACLASSES.get(name) is type(value):
            return {"$d": name, "v": [self.encode(getattr(value, f.name), f"{path}.{f.name}") for f in dataclasses.fields(value)]}
        if _STORED.get(name) is type(value):
            return {"$o": name, "v": {k: self.encode(v, f"{path}.{k}") for k, v in vars(value).items()}}
        if isinstance(value, _REBUILT):
            return {"$rebuilt": name}
        if inspect.ismethod(value) and not value.__name__.startswith("_"):
            return {"$method": value.__name__, "of": self.encode(value.__self__, f"{path}.__self__")}
        raise Unsupported(f"{path} is a {type(value).__module__}.{type(value).__qualname__}")

    def _pairs(self, mapping: dict[Any, Any], path: str) -> list[list[Any]]:
        return [[self.encode(k, f"{path}.k{i}"), self.encode(v, f"{path}.{i}")] for i, (k, v) in enumerate(mapping.items())]

    def _array(self, path: str, array: np.ndarray) -> str:
        if array.dtype.hasobject:
            raise Unsupported(f"{path} is an array of Python objects")
        self.arrays[path] = array
        return path

    def _sparse(self, matrix: Any, path: str) -> dict[str, Any]:
        kind = type(matrix).__name__
        if _SPARSE.get(kind) is not type(matrix):
            raise Unsupported(f"{path} is a sparse {kind}")
        for part in ("data", "indices", "indptr"):
            self._array(f"{path}.{part}", getattr(matrix, part))
        return {"$sparse": path, "kind": kind, "shape": list(matrix.shape)}


class _Decoder:
    """Rebuilds values from the JSON objects `_Encoder` made, inner ones first (as json calls it)."""

    def __init__(self, arrays: dict[str, np.ndarray], context: _Context) -> None:
        self.arrays = arrays
        self.context = context
        self.known: dict[int, Any] = {}
        self.tags: dict[str, Callable[[dict[str, Any]], Any]] = {
            "$same": lambda o: self.known[o["$same"]],
            "$id": self._remember,
            "$setting": self._setting,
            "$array": lambda o: self.arrays[o["$array"]][()] if o["scalar"] else self.arrays[o["$array"]],
            "$sparse": self._sparse,
            "$path": lambda o: Path(o["$path"]),
            "$counter": lambda o: Counter(dict(o["$counter"])),
            "$dict": lambda o: {_hashable(k): v for k, v in o["$dict"]},
            "$t": lambda o: tuple(o["$t"]),
            "$set": lambda o: (frozenset if o["frozen"] else set)(map(_hashable, o["$set"])),
            "$d": lambda o: _DATACLASSES[o["$d"]](*o["v"]),
            "$o": self._stored,
            "$rebuilt": lambda o: self.context.rebuild(o["$rebuilt"]),
            "$method": self._method,
        }

    def hook(self, obj: dict[str, Any]) -> Any:
        for key in obj:  # a tagged object's tag is its first key
            if key.startswith("$"):
                return self.tags[key](obj)
            return obj
        return obj

    def _remember(self, obj: dict[str, Any]) -> Any:
        self.known[obj["$id"]] = obj["v"]
        return obj["v"]

    def _setting(self, obj: dict[str, Any]) -> Any:
        value: Any = self.context.settings
        for part in filter(None, obj["$setting"].split(".")):
            value = value[part] if isinstance(value, dict) else getattr(value, part)
        return value

    def _sparse(self, obj: dict[str, Any]) -> Any:
        path, a = obj["$sparse"], self.arrays
        return _SPARSE[obj["kind"]]((a[f"{path}.data"], a[f"{path}.indices"], a[f"{path}.indptr"]), shape=tuple(obj["shape"]))

    def _stored(self, obj: dict[str, Any]) -> Any:
        cls = _STORED[obj["$o"]]
        value = cls.__new__(cls)
        value.__dict__.update(obj["v"])
        return value

    def _method(self, obj: dict[str, Any]) -> Any:
        name = obj["$method"]
        if name.startswith("_"):
            raise ValueError(f"refusing method {name!r}")
        method = getattr(obj["of"], name)
        if not inspect.ismethod(method):
            raise ValueError(f"{name!r} is not a method")
        return method


def _hashable(value: Any) -> Any:
    """JSON lists used as keys or set items were tuples."""
    return tuple(map(_hashable, value)) if isinstance(value, list) else value
