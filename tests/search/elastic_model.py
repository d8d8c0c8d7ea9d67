"""A small in-memory model of the Elasticsearch 8 behaviour the engine relies on, for tests
without a node: what it writes (external versions, partial updates that add 1 to the
version, deletes that refuse wildcards as ``action.destructive_requires_name`` does) and
what its structured queries select (bool, term, terms, range, exists, nested, field sorts
with a nested filter, filter/nested/range/terms aggregations).

Text queries (``multi_match`` and the rest) are not modelled: they raise, so a test can only
use it for what it models. It is our reading of Elasticsearch's documented semantics, not
Elasticsearch: the contract suite on a live node (ELASTICSEARCH_URL) is the proof.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field


class ModelError(Exception):
    """An error answer, as the client raises it (``error`` is Elasticsearch's error type)."""

    def __init__(self, status: int, error: str, reason: str = ""):
        super().__init__(f"{status} {error}: {reason}")
        self.status = status
        self.error = error


@dataclass
class Index:
    settings: dict
    mappings: dict
    docs: dict[str, tuple[int, dict]] = field(default_factory=dict)  # id -> (version, source)
    deleted: dict[str, int] = field(default_factory=dict)  # id -> version of the delete


def _value(source: dict, path: str) -> list:
    """The values of a dotted field in a source (objects and lists walked), flattened."""
    values = [source]
    for part in path.split("."):
        nxt = []
        for value in values:
            if isinstance(value, list):
                value = [item for item in value if isinstance(item, dict)]
                nxt.extend(item[part] for item in value if part in item)
            elif isinstance(value, dict) and part in value:
                nxt.append(value[part])
        values = nxt
    flat = []
    for value in values:
        flat.extend(value if isinstance(value, list) else [value])
    return [value for value in flat if value is not None]


def _merge(target: dict, partial: dict) -> dict:
    """A partial update's merge: objects merged key by key, anything else (arrays) replaced."""
    merged = copy.deepcopy(target)
    for key, value in partial.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


RANGE_TESTS = {"gt": lambda a, b: a > b, "gte": lambda a, b: a >= b, "lt": lambda a, b: a < b,
               "lte": lambda a, b: a <= b}


def matches(query: dict, source: dict, prefix: str = "") -> bool:
    """Whether ``source`` (a document, or a nested object under ``prefix``) matches ``query``."""
    (kind, spec), = query.items()

    def values(path: str) -> list:
        if prefix:
            assert path.startswith(prefix + "."), (path, prefix)
            path = path[len(prefix) + 1:]
        return _value(source, path)

    if kind == "match_all":
        return True
    if kind == "match_none":
        return False
    if kind == "term":
        (path, wanted), = spec.items()
        wanted = wanted["value"] if isinstance(wanted, dict) else wanted
        return wanted in values(path)
    if kind == "terms":
        spec = {key: value for key, value in spec.items() if key != "boost"}
        (path, wanted), = spec.items()
        return any(value in wanted for value in values(path))
    if kind == "exists":
        return bool(values(spec["field"]))
    if kind == "range":
        (path, bounds), = spec.items()
        tests = [(RANGE_TESTS[op], bound) for op, bound in bounds.items() if op in RANGE_TESTS]
        return any(all(test(value, bound) for test, bound in tests) for value in values(path))
    if kind == "bool":
        def clauses(name: str) -> list:
            found = spec.get(name, [])
            return [found] if isinstance(found, dict) else found

        must = clauses("must") + clauses("filter")
        should = clauses("should")
        if not all(matches(clause, source, prefix) for clause in must):
            return False
        if any(matches(clause, source, prefix) for clause in clauses("must_not")):
            return False
        # Elasticsearch: 1 when there are should clauses and no must or filter, else 0
        needed = spec.get("minimum_should_match", 0 if must else 1)
        return not should or sum(matches(clause, source, prefix) for clause in should) >= needed
    if kind == "nested":
        path = spec["path"]
        return any(matches(spec["query"], item, path) for item in _objects(source, path, prefix))
    if kind == "function_score":
        return matches(spec["query"], source, prefix)  # scores are not modelled
    if kind == "constant_score":
        return matches(spec["filter"], source, prefix)
    raise NotImplementedError(f"query {kind!r} is not modelled")


def _objects(source: dict, path: str, prefix: str = "") -> list[dict]:
    relative = path[len(prefix) + 1:] if prefix else path
    found = source
    for part in relative.split("."):
        found = found.get(part) if isinstance(found, dict) else None
    return [item for item in (found if isinstance(found, list) else [found] if found else []) if isinstance(item, dict)]


def sort_key(spec, source: dict):
    """(missing, value) of one sort entry; the caller reverses for descending."""
    if spec == "_score":
        raise NotImplementedError("scores are not modelled")
    (path, options), = spec.items()
    options = {"order": options} if isinstance(options, str) else options
    nested = options.get("nested")
    if nested:
        objects = [item for item in _objects(source, nested["path"])
                   if "filter" not in nested or matches(nested["filter"], item, nested["path"])]
        values = [value for item in objects for value in _value(item, path[len(nested["path"]) + 1:])]
    else:
        values = _value(source, path)
    if not values:
        return None
    mode = options.get("mode", "max" if options.get("order") == "desc" else "min")
    return max(values) if mode == "max" else min(values)


def sorted_hits(hits: list[tuple[str, dict]], sort: list) -> list[tuple[str, dict]]:
    """Stable sorts from the last key to the first; a missing value goes last either way."""
    for spec in reversed(sort):
        if spec == "_score":
            raise NotImplementedError("scores are not modelled")
        (options,) = spec.values()
        descending = (options if isinstance(options, str) else options.get("order")) == "desc"
        keyed = [(sort_key(spec, source), doc_id, source) for doc_id, source in hits]
        present = [entry for entry in keyed if entry[0] is not None]
        missing = [entry for entry in keyed if entry[0] is None]
        present.sort(key=lambda entry: entry[0], reverse=descending)
        hits = [(doc_id, source) for _key, doc_id, source in present + missing]
    return hits


def aggregate(aggs: dict, sources: list[dict], prefix: str = "") -> dict:
    result = {}
    for name, spec in aggs.items():
        inner = spec.get("aggs") or {}
        kind = next(key for key in spec if key != "aggs")
        body = spec[kind]
        if kind == "filter":
            selected = [source for source in sources if matches(body, source, prefix)]
            result[name] = {"doc_count": len(selected), **aggregate(inner, selected, prefix)}
        elif kind == "nested":
            objects = [item for source in sources for item in _objects(source, body["path"], prefix)]
            result[name] = {"doc_count": len(objects), **aggregate(inner, objects, body["path"])}
        elif kind == "range":
            buckets = []
            path = body["field"][len(prefix) + 1:] if prefix else body["field"]
            for entry in body["ranges"]:
                count = sum(1 for source in sources if any(
                    value >= entry.get("from", float("-inf")) and value < entry.get("to", float("inf"))
                    for value in _value(source, path)))
                buckets.append({"key": entry["key"], "doc_count": count})
            result[name] = {"buckets": buckets}
        elif kind == "terms":
            counts: dict = {}
            for source in sources:
                for value in set(_value(source, body["field"])):
                    key = int(value) if isinstance(value, bool) else value
                    counts[key] = counts.get(key, 0) + 1
            result[name] = {"buckets": [{"key": key, "doc_count": count}
                                        for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]}
        elif kind == "global":
            raise NotImplementedError("the vocabulary probe is not modelled")
        else:
            raise NotImplementedError(f"aggregation {kind!r} is not modelled")
    return result


class ModelIndices:
    def __init__(self, cluster: "ModelCluster"):
        self.cluster = cluster

    def _concrete(self, index) -> list[str]:
        names = index.split(",") if isinstance(index, str) else list(index)
        found = []
        for name in names:
            if name in self.cluster.aliases:
                found.extend(sorted(self.cluster.aliases[name]))
            else:
                found.append(name)
        return found

    def exists_alias(self, name):
        return bool(self.cluster.aliases.get(name))

    def get_alias(self, name):
        if not self.cluster.aliases.get(name):
            raise ModelError(404, "aliases_not_found_exception", name)
        return {index: {"aliases": {name: {}}} for index in sorted(self.cluster.aliases[name])}

    def create(self, index, settings=None, mappings=None, aliases=None):
        self.cluster.calls.append(("create", index))
        if index in self.cluster.indices_by_name:
            raise ModelError(400, "resource_already_exists_exception", index)
        self.cluster.indices_by_name[index] = Index(copy.deepcopy(settings or {}), copy.deepcopy(mappings or {}))
        for alias in aliases or {}:
            self.cluster.aliases.setdefault(alias, set()).add(index)

    def delete(self, index, ignore_unavailable=False):
        names = index.split(",") if isinstance(index, str) else list(index)
        self.cluster.calls.append(("delete", tuple(names)))
        for name in names:
            # action.destructive_requires_name (true by default in Elasticsearch 8)
            if "*" in name or name == "_all" or name in self.cluster.aliases:
                raise ModelError(400, "illegal_argument_exception",
                                 f"Wildcard expressions or all indices are not allowed: {name}")
        for name in names:
            if name not in self.cluster.indices_by_name:
                if ignore_unavailable:
                    continue
                raise ModelError(404, "index_not_found_exception", name)
            del self.cluster.indices_by_name[name]
            for members in self.cluster.aliases.values():
                members.discard(name)

    def get_settings(self, index):
        return {name: {"settings": {"index": {key: str(value) for key, value in self.cluster.indices_by_name[name].settings.items()
                                              if key.startswith("number_of")}}}
                for name in self._concrete(index)}

    def put_settings(self, index, settings):
        self.cluster.calls.append(("put_settings", index, settings))
        for name in self._concrete(index):
            self.cluster.indices_by_name[name].settings.update(settings["index"])

    def refresh(self, index):
        pass

    def update_aliases(self, actions):
        for action in actions:
            (kind, spec), = action.items()
            members = self.cluster.aliases.setdefault(spec["alias"], set())
            (members.discard if kind == "remove" else members.add)(spec["index"])


class ModelCluster:
    """An Elasticsearch client stand-in over in-memory indices."""

    def __init__(self):
        self.indices_by_name: dict[str, Index] = {}
        self.aliases: dict[str, set[str]] = {}
        self.calls: list = []
        self.bodies: list[dict] = []  # every search body, in order
        self.indices = ModelIndices(self)  # the client's ``indices`` namespace

    def _resolve(self, name: str) -> Index:
        targets = sorted(self.aliases.get(name) or [name])
        assert len(targets) == 1, f"{name} resolves to {targets}"
        if targets[0] not in self.indices_by_name:
            raise ModelError(404, "index_not_found_exception", name)
        return self.indices_by_name[targets[0]]

    def bulk(self, operations, refresh=False):
        items = []
        ops = list(operations)
        position = 0
        while position < len(ops):
            (action, meta), = ops[position].items()
            position += 1
            body = None
            if action in ("index", "update"):
                body = ops[position]
                position += 1
            items.append({action: {"_id": meta["_id"], **self._apply(action, meta, body)}})
        return {"errors": any(list(item.values())[0]["status"] >= 300 for item in items), "items": items}

    def _apply(self, action: str, meta: dict, body) -> dict:
        assert set(meta) <= {"_index", "_id", "version", "version_type", "retry_on_conflict"}, meta
        index = self._resolve(meta["_index"])
        doc_id = meta["_id"]
        current = index.docs.get(doc_id)
        known = current[0] if current else index.deleted.get(doc_id)
        if action == "update":
            assert "version" not in meta and "version_type" not in meta  # the update API takes none
            if current is None:
                return {"status": 404, "error": {"type": "document_missing_exception"}}
            merged = _merge(current[1], body["doc"])
            if merged == current[1]:
                return {"status": 200, "result": "noop", "_version": current[0]}
            index.docs[doc_id] = (current[0] + 1, merged)  # internal versioning: +1
            return {"status": 200, "result": "updated", "_version": current[0] + 1}
        external = meta.get("version_type") == "external"
        if external and known is not None and meta["version"] <= known:
            return {"status": 409, "error": {"type": "version_conflict_engine_exception"}}
        if action == "index":
            version = meta["version"] if external else (known or 0) + 1
            index.docs[doc_id] = (version, copy.deepcopy(body))
            index.deleted.pop(doc_id, None)
            return {"status": 201 if current is None else 200, "_version": version}
        if current is None:
            if external:
                index.deleted[doc_id] = meta["version"]
            return {"status": 404, "result": "not_found"}
        del index.docs[doc_id]
        index.deleted[doc_id] = meta["version"] if external else current[0] + 1
        return {"status": 200, "result": "deleted"}

    def search(self, index, body):
        self.bodies.append(body)
        target = self._resolve(index)
        docs = [(doc_id, source) for doc_id, (_version, source) in target.docs.items()
                if matches(body.get("query") or {"match_all": {}}, source)]
        aggs = aggregate(body.get("aggs") or {}, [source for _id, source in docs])
        selected = [(doc_id, source) for doc_id, source in docs
                    if matches(body.get("post_filter") or {"match_all": {}}, source)]
        ordered = sorted_hits(selected, body.get("sort") or [])
        page = ordered[body.get("from", 0):body.get("from", 0) + body.get("size", 10)]
        return {"hits": {"total": {"value": len(selected)},
                         "hits": [{"_id": doc_id, "_source": copy.deepcopy(source)} for doc_id, source in page]},
                "aggregations": aggs}

    def count(self, index):
        return {"count": len(self._resolve(index).docs)}

    def version(self, alias: str, doc_id: str) -> int | None:
        """The stored version of a document (what Elasticsearch's ``_version`` says)."""
        found = self._resolve(alias).docs.get(doc_id)
        return None if found is None else found[0]
