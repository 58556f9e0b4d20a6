"""OCDS 1.1 merging: the compiled release and the versioned release of one contracting
process, both from the same flattening of its releases, under the merge rules the release
schema declares (marketplace/data/ocds/release-schema.json).

Rules (OCDS 1.1 "Merging"):
- releases are applied in date order (stable for equal dates);
- fields marked `omitWhenMerged` (the release's id, date and tag) are left out;
- objects are merged field by field, except free-form objects the schema gives no
  properties (a party's `details`), which are one value;
- an array of objects is merged by `id` (identifier merge) unless the schema marks it
  `wholeListMerge`; items keep their order of first appearance and, in the versioned
  release, an item's `id` is its key rather than a versioned field. Arrays of literals,
  arrays marked `wholeListMerge` and arrays whose items lack an `id` are replaced whole. A
  field the schema does not know (an extension) is merged by id when all its items have one;
- a field a release leaves out keeps its value; in the compiled release a null removes the
  field, in the versioned release it is a version whose value is null;
- the versioned release records each field's history as {releaseID, releaseDate,
  releaseTag, value}: a new version only when the value differs from the last one.
"""

import copy
import datetime
import itertools
from functools import cache

from django.utils.dateparse import parse_datetime

from marketplace.ocds.schema import vendored_schema


class _Key:
    """An array item's identifier as a step of a flattened path (not a field name)."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = str(value)

    def __eq__(self, other):
        return isinstance(other, _Key) and other.value == self.value

    def __hash__(self):
        return hash((_Key, self.value))


class _Id:
    """An array item's own `id`: written as it is in both merged forms, never versioned."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value


class _Items(dict):
    """An identifier-merged array while it is rebuilt: items by key, in first-seen order."""


class _Empty:
    """An identifier-merged array that is present without items (one instance, kept as it
    is when merged values are copied)."""

    def __deepcopy__(self, memo):
        return self


_EMPTY = _Empty()


def _types(node: dict) -> set:
    kind = node.get("type", [])
    return {kind} if isinstance(kind, str) else set(kind)


@cache
def merge_rules() -> dict[tuple[str, ...], frozenset[str]]:
    """The merge properties of each field path of the release schema (array levels left
    out): "omitWhenMerged", "wholeListMerge", "versionId", and "identifierMerge" for arrays
    of objects merged by `id`."""
    schema = vendored_schema("release-schema.json")
    definitions = schema["definitions"]
    rules: dict[tuple[str, ...], frozenset[str]] = {}

    def resolve(node: dict, seen: frozenset[str]):
        ref = node.get("$ref", "")
        if not ref.startswith("#/definitions/"):
            return node, seen
        if ref in seen:  # a definition inside itself: nothing more to learn
            return None, seen
        return definitions[ref.rsplit("/", 1)[1]], seen | {ref}

    def walk(node: dict, path: tuple[str, ...], seen: frozenset[str]):
        for name, prop in node.get("properties", {}).items():
            flags = {
                flag for flag in ("omitWhenMerged", "wholeListMerge", "versionId") if prop.get(flag)
            }
            target, seen_here = resolve(prop, seen)
            if target is not None and "array" in _types(target) and "items" in target:
                items, seen_items = resolve(target["items"], seen_here)
                if items is not None and ("object" in _types(items) or "properties" in items):
                    if "wholeListMerge" not in flags:
                        flags.add("identifierMerge")
                    walk(items, (*path, name), seen_items)
            elif target is not None and "object" in _types(target) and "properties" not in target:
                flags.add("wholeObject")  # free-form (e.g. a party's details): one value
            elif target is not None:
                walk(target, (*path, name), seen_here)
            rules[(*path, name)] = frozenset(flags)

    walk(schema, (), frozenset())
    return rules


def _identifier_merged(value: list, rule_path: tuple[str, ...]) -> bool:
    flags = merge_rules().get(rule_path)
    if flags is not None and "identifierMerge" not in flags:
        return False
    return all(isinstance(item, dict) and "id" in item for item in value)


def _flatten(data: dict, out: dict, path=(), rule_path=()):
    """The leaf paths of a release and their values: objects descend by field, identifier-
    merged arrays by item id; anything else is one value."""
    rules = merge_rules()
    for name, value in data.items():
        new_path, new_rule = (*path, name), (*rule_path, name)
        flags = rules.get(new_rule, frozenset())
        if "omitWhenMerged" in flags:
            continue
        if isinstance(value, dict) and value and "wholeObject" not in flags:
            _flatten(value, out, new_path, new_rule)
        elif isinstance(value, list) and _identifier_merged(value, new_rule):
            if not value:
                out.setdefault(new_path, _EMPTY)
            for item in value:
                item_path = (*new_path, _Key(item["id"]))
                out[(*item_path, "id")] = _Id(item["id"])
                _flatten({k: v for k, v in item.items() if k != "id"}, out, item_path, new_rule)
        else:
            out[new_path] = value


def _moment(release: dict) -> datetime.datetime:
    moment = parse_datetime(str(release.get("date", "")))
    if moment is None or moment.tzinfo is None:
        return datetime.datetime.min.replace(tzinfo=datetime.UTC)
    return moment


def _ordered(releases: list[dict]) -> list[dict]:
    return sorted(releases, key=_moment)


def _unflatten(flat: dict) -> dict:
    root: dict = {}
    for path, value in flat.items():
        node = root
        for step, following in itertools.pairwise(path):
            kind = _Items if isinstance(following, _Key) else dict
            child = node.get(step)
            if type(child) is not kind:
                child = node[step] = kind()
            node = child
        if value is _EMPTY:
            node.setdefault(path[-1], _Items())
        elif not isinstance(node.get(path[-1]), dict):  # a container set later wins
            node[path[-1]] = value
    return _finish(root)


def _finish(node):
    if isinstance(node, _Id):
        return node.value
    if isinstance(node, _Items):
        return [_finish(item) for item in node.values()]
    if isinstance(node, dict):
        return {key: _finish(value) for key, value in node.items()}
    return node


def compile_releases(releases: list[dict]) -> dict:
    """The compiled release of one process: the latest value of every field; id
    `<ocid>-<date of the last release>`, that date, and tag ["compiled"]."""
    ordered = _ordered(releases)
    flat: dict = {}
    for release in ordered:
        current: dict = {}
        _flatten(release, current)
        for path, value in current.items():
            if value is None:
                for key in [key for key in flat if key[: len(path)] == path]:
                    del flat[key]
            else:
                flat[path] = value
    compiled = _unflatten({path: copy.deepcopy(value) for path, value in flat.items()})
    if ordered:
        last = ordered[-1]
        compiled["id"] = f"{last['ocid']}-{last['date']}"
        compiled["date"] = last["date"]
    compiled["tag"] = ["compiled"]
    return compiled


def versioned_release(releases: list[dict]) -> dict:
    """The versioned release of one process: every field's history, one version per change,
    each naming the release (id, date, tag) that made it."""
    flat: dict = {}
    for release in _ordered(releases):
        current: dict = {}
        _flatten(release, current)
        for path, value in current.items():
            if path == ("ocid",) or isinstance(value, _Id) or value is _EMPTY:
                flat.setdefault(path, value)
                continue
            history = flat.setdefault(path, [])
            if history and history[-1]["value"] == value:
                continue
            history.append(
                {
                    "releaseID": release["id"],
                    "releaseDate": release["date"],
                    "releaseTag": list(release.get("tag", [])),
                    "value": copy.deepcopy(value),
                }
            )
    return _unflatten(flat)
