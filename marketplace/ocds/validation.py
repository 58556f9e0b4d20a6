"""Validation of our packages and releases against the vendored schemas and codelists."""

from functools import cache

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from marketplace.ocds.schema import codelist, codelist_available, vendored_schema

SCHEMA_NAMES = (
    "release-schema.json",
    "release-package-schema.json",
    "record-package-schema.json",
    "versioned-release-validation-schema.json",
)


@cache
def _validators() -> dict[str, Draft4Validator]:
    schemas = {name: vendored_schema(name) for name in SCHEMA_NAMES}
    registry = Registry().with_resources(
        (schema["id"], Resource.from_contents(schema, default_specification=DRAFT4))
        for schema in schemas.values()
    )
    return {
        kind: Draft4Validator(
            schemas[f"{kind}-package-schema.json"],
            registry=registry,
            format_checker=FormatChecker(),
        )
        for kind in ("release", "record")
    }


def package_errors(package: dict, *, limit: int | None = None) -> list[str]:
    """Schema errors of a release or record package (a record package has `records`), each
    as "path: message", at most `limit` of them; [] when it validates."""
    kind = "record" if isinstance(package, dict) and "records" in package else "release"
    errors = []
    for error in _validators()[kind].iter_errors(package):
        path = "/".join(str(part) for part in error.absolute_path) or "(root)"
        errors.append(f"{path}: {error.message}")
        if limit is not None and len(errors) >= limit:
            break
    return errors


def _resolve(node: dict) -> dict:
    ref = node.get("$ref", "")
    if ref.startswith("#/definitions/"):
        return vendored_schema("release-schema.json")["definitions"][ref.rsplit("/", 1)[1]]
    return node


def _walk_codes(schema: dict, value, path: str, found: list):
    schema = _resolve(schema)
    if "codelist" in schema and value is not None:
        codes = value if isinstance(value, list) else [value]
        found.extend((path, schema["codelist"], code) for code in codes)
        return
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        for key, item in value.items():
            if key in properties:
                _walk_codes(properties[key], item, f"{path}/{key}", found)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _walk_codes(schema["items"], item, f"{path}/{index}", found)


def codelist_values(release: dict) -> list[tuple[str, str, str]]:
    """Every codelist-typed value of a release as (path, codelist file, code), found by
    following the schema's `codelist` annotations."""
    found: list[tuple[str, str, str]] = []
    _walk_codes(vendored_schema("release-schema.json"), release, "", found)
    return found


def codelist_violations(release: dict) -> list[str]:
    """Codes of a release missing from their vendored codelist (open codelists included).
    Fields whose codelist is not vendored (currency, initiationType) are closed enums that
    the schema itself checks."""
    return [
        f"{path}: {code!r} not in {name}"
        for path, name, code in codelist_values(release)
        if codelist_available(name) and code not in codelist(name)
    ]
