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
  a stored bound method of one (WordRepair keeps `normalizer.stem`) is looked up on it again;
- an object met twice is written once and referred to, so shared objects stay shared; an
  article is a value (sections, blocks and spans of tuples), written compactly without that.

Anything else makes `dump` raise `Unsupported`, and the index is simply not cached.
"""

from __future__ import annotations

import dataclasses
import gc
import inspect
import json
import secrets
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from scipy import sparse

from bot.articles import Article, FileResult, LoadResult, LoadWarning, Phrasing
from bot.intents import Intents
from bot.knowledge import Tag
from bot.normalize import Normalizer
from bot.repair import WordRepair
from bot.retrieval import Method, Retriever
from bot.richtext import Block, Span
from bot.sections import Section
from bot.settings import Settings

# Value types stored by their fields, in field order; rebuilt by calling the class.
_DATACLASSES: dict[str, type] = {
    c.__name__: c for c in (Article, Phrasing, Section, Block, Span, Tag, LoadResult, LoadWarning, FileResult, Method)
}
# Classes stored by their attributes; rebuilt without calling their constructor.
_STORED: dict[str, type] = {c.__name__: c for c in (Retriever, WordRepair)}
_SPARSE: dict[str, type] = {
    c.__name__: c for c in (sparse.csr_matrix, sparse.csc_matrix, sparse.csr_array, sparse.csc_array)
}


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
                self.intents = Intents(self.settings.language.intents, self.rebuild("Normalizer"))  # type: ignore[arg-type]  # rebuild("Normalizer") is a Normalizer
            return self.intents
        raise ValueError(f"unknown rebuilt object {name!r}")


_REBUILT = (Normalizer, Intents)


def dump(state: Any, settings: Settings, out: TextIO) -> dict[str, np.ndarray]:
    """Write `state` as JSON to `out` and return the arrays that go beside it (raises `Unsupported`).

    The JSON is streamed: holding it whole would cost as much memory again as the articles.
    """
    counts: Counter[int] = Counter()
    _count(state, counts, set())
    encoder = _Encoder(out.write, {k for k, n in counts.items() if n > 1}, _setting_paths(settings))
    encoder.encode(state, "")
    return encoder.arrays


def load(text: str, arrays: dict[str, np.ndarray], settings: Settings) -> Any:
    """The state `dump` wrote, rebuilt with the current settings."""
    # Objects made in bulk set off the cyclic garbage collector again and again, for nothing:
    # they are all kept. Pausing it makes loading about a third faster.
    paused = gc.isenabled()
    gc.disable()
    try:
        return json.loads(text, object_hook=_Decoder(arrays, _Context(settings)).hook)
    finally:
        if paused:
            gc.enable()


def write(json_path: Path, npz_path: Path, header: dict[str, Any], state: Any, settings: Settings) -> None:
    """Write the JSON (a header line, then the state) and the arrays, each replaced by an atomic rename.

    A token in both files pairs them: a crash between the two renames leaves a pair that
    `read` refuses.
    """
    token = secrets.token_hex(8)
    json_temporary, npz_temporary = _temporary(json_path), _temporary(npz_path)
    try:
        with json_temporary.open("w", encoding="ascii", buffering=1 << 20) as out:
            out.write(json.dumps({**header, "token": token}) + "\n")
            arrays = dump(state, settings, out)
        arrays["__token__"] = np.frombuffer(token.encode(), dtype=np.uint8)
        with npz_temporary.open("wb") as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # the keys are array names, never allow_pickle
        npz_temporary.replace(npz_path)
        json_temporary.replace(json_path)
    finally:
        json_temporary.unlink(missing_ok=True)
        npz_temporary.unlink(missing_ok=True)


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


def _temporary(path: Path) -> Path:
    return path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")


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


_SCALARS = (str, int, float, bool, type(None))


def _shareable(value: Any) -> bool:
    """Whether an object's identity is kept (values such as strings and paths are written as they are)."""
    return not isinstance(value, (*_SCALARS, bytes, Path, np.ndarray, np.generic)) and not sparse.issparse(value)


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
    if type(value) is Article:
        return  # an article holds values only (sections, text): nothing in it is shared
    open_.add(key)
    for child in _children(value):
        _count(child, counts, open_)
    open_.discard(key)


class _Encoder:
    """Writes a state as JSON text, collecting its arrays by attribute path."""

    def __init__(self, write: Callable[[str], object], shared: set[int], settings: dict[int, str]) -> None:
        self.w = write
        self.shared = shared
        self.settings = settings
        self.ids: dict[int, int] = {}
        self.arrays: dict[str, np.ndarray] = {}

    def encode(self, value: Any, path: str, track: bool = True) -> None:
        """Write `value`; with `track`, an object met before is written as a reference to it."""
        if track and _shareable(value):
            key = id(value)
            if key in self.ids:
                self.w(f'{{"$same":{self.ids[key]}}}')
                return
            if key in self.settings:
                self.w(f'{{"$setting":{_string(self.settings[key])}}}')
                return
            if key in self.shared:
                self.ids[key] = len(self.ids)
                self.w(f'{{"$id":{self.ids[key]},"v":')
                self._encode(value, path, track)
                self.w("}")
                return
        self._encode(value, path, track)

    def _encode(self, value: Any, path: str, track: bool) -> None:  # noqa: C901, PLR0912 - one branch per stored type
        kind = type(value)
        if kind in _SCALARS:
            self.w(_scalar(value))
        elif kind is dict and all(type(k) is str and not k.startswith("$") for k in value):
            if all(type(v) in _SCALARS for v in value.values()):
                self.w(json.dumps(value, separators=(",", ":")))  # all at once, at C speed
            else:
                self._object([(_string(k), v, f"{path}.{k}") for k, v in value.items()], track)
        elif kind is dict:
            self.w('{"$dict":')
            self._sequence([(k, v) for k, v in value.items()], path, track)
            self.w("}")
        elif kind is Counter:
            self.w('{"$counter":')
            self.encode(dict(value), path, track=False)
            self.w("}")
        elif kind is tuple and not track:
            self._sequence(value, path, track)  # inside an article every array is a tuple
        elif kind is list and not track:
            raise Unsupported(f"{path.lstrip('.')} is a list inside an article (article values hold tuples)")
        elif kind in (list, tuple):
            self.w("" if kind is list else '{"$t":')
            self._sequence(value, path, track)
            self.w("" if kind is list else "}")
        elif kind in (set, frozenset):
            self.w('{"$set":')
            self._sequence(list(value), path, track)
            self.w(f',"frozen":{_scalar(kind is frozenset)}}}')
        elif isinstance(value, Path):
            self.w(f'{{"$path":{_string(str(value))}}}')
        elif isinstance(value, (np.ndarray, np.generic)):
            array = _string(self._array(path, np.asarray(value)))
            self.w(f'{{"$array":{array},"scalar":{_scalar(isinstance(value, np.generic))}}}')
        elif sparse.issparse(value):
            self._sparse(value, path)
        elif _DATACLASSES.get(kind.__name__) is kind:
            # An article and what it holds are values: written without identities, tuples as arrays.
            value_mode = not track or kind is Article
            plain = _plain(value) if value_mode else None
            if plain is not None:
                self.w(json.dumps(plain, separators=(",", ":")))  # the same text, at C speed
                return
            self.w(f'{{"{"$v" if value_mode else "$d"}":"{kind.__name__}","v":')
            self._sequence([getattr(value, f.name) for f in dataclasses.fields(value)], path, not value_mode)
            self.w("}")
        elif _STORED.get(kind.__name__) is kind:
            self.w(f'{{"$o":"{kind.__name__}","v":')
            self._object([(_string(k), v, f"{path}.{k}") for k, v in vars(value).items()], track)
            self.w("}")
        elif isinstance(value, _REBUILT):
            self.w(f'{{"$rebuilt":"{kind.__name__}"}}')
        elif inspect.ismethod(value) and not value.__name__.startswith("_"):
            self.w(f'{{"$method":{_string(value.__name__)},"of":')
            self.encode(value.__self__, f"{path}.__self__", track)
            self.w("}")
        else:
            raise Unsupported(f"{path.lstrip('.')} is a {kind.__module__}.{kind.__qualname__}")

    def _object(self, items: list[tuple[str, Any, str]], track: bool) -> None:
        self.w("{")
        for i, (key, value, path) in enumerate(items):
            self.w(f"{',' if i else ''}{key}:")
            self.encode(value, path, track)
        self.w("}")

    def _sequence(self, items: Any, path: str, track: bool) -> None:
        if all(type(v) in _SCALARS for v in items):
            self.w(json.dumps(list(items), separators=(",", ":")))
            return
        self.w("[")
        for i, value in enumerate(items):
            if i:
                self.w(",")
            self.encode(value, f"{path}.{i}", track)
        self.w("]")

    def _array(self, path: str, array: np.ndarray) -> str:
        path = path.lstrip(".")
        if array.dtype.hasobject:
            raise Unsupported(f"{path} is an array of Python objects")
        if path in self.arrays:
            raise Unsupported(f"{path} names two arrays")
        self.arrays[path] = array
        return path

    def _sparse(self, matrix: Any, path: str) -> None:
        kind, shape = type(matrix).__name__, [int(n) for n in matrix.shape]
        if _SPARSE.get(kind) is not type(matrix):
            raise Unsupported(f"{path} is a sparse {kind}")
        path = path.lstrip(".")
        for part in ("data", "indices", "indptr"):
            self._array(f"{path}.{part}", getattr(matrix, part))
        self.w(f'{{"$sparse":{_string(path)},"kind":"{kind}","shape":{json.dumps(shape)}}}')


_FIELDS = {kind: tuple(f.name for f in dataclasses.fields(kind)) for kind in _DATACLASSES.values()}


class _NotPlain(Exception):
    """A value holds something `_plain` leaves to the encoder."""


def _plain(value: Any) -> Any:
    """A value of the article model as the JSON `_Encoder` writes for it (None when it holds other types)."""
    try:
        return _plain_value(value)
    except _NotPlain:
        return None


def _plain_value(value: Any) -> Any:
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is tuple:
        return [_plain_value(v) for v in value]
    fields = _FIELDS.get(kind)
    if fields is None or _DATACLASSES.get(kind.__name__) is not kind:
        raise _NotPlain
    return {"$v": kind.__name__, "v": [_plain_value(getattr(value, name)) for name in fields]}


def _string(text: str) -> str:
    return json.encoder.encode_basestring_ascii(text)


def _scalar(value: Any) -> str:
    return _string(value) if type(value) is str else json.dumps(value)


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
            "$counter": lambda o: Counter(o["$counter"]),
            "$dict": lambda o: {_hashable(k): v for k, v in o["$dict"]},
            "$t": lambda o: tuple(o["$t"]),
            "$set": lambda o: (frozenset if o["frozen"] else set)(map(_hashable, o["$set"])),
            "$d": lambda o: _DATACLASSES[o["$d"]](*o["v"]),
            "$o": self._stored,
            "$rebuilt": lambda o: self.context.rebuild(o["$rebuilt"]),
            "$method": self._method,
        }

    def hook(self, obj: dict[str, Any]) -> Any:
        if "$v" in obj:  # the commonest by far: the parts of articles
            return _DATACLASSES[obj["$v"]](*[_tuples(x) if type(x) is list else x for x in obj["v"]])
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
        return _SPARSE[obj["kind"]](
            (a[f"{path}.data"], a[f"{path}.indices"], a[f"{path}.indptr"]), shape=tuple(obj["shape"])
        )

    def _stored(self, obj: dict[str, Any]) -> Any:
        cls = _STORED[obj["$o"]]
        value: Any = object.__new__(cls)
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


def _tuples(value: list[Any]) -> tuple[Any, ...]:
    """An array inside an article, as the tuple it was."""
    return tuple([_tuples(x) if type(x) is list else x for x in value])


def _hashable(value: Any) -> Any:
    """JSON lists used as keys or set items were tuples."""
    return tuple(map(_hashable, value)) if isinstance(value, list) else value
