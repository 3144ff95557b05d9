"""/api/docs: the API reference rendered on the server from the OpenAPI schema (docs/api.md).

No console script (only the site's own), so it loads fast on phones and runs under the site's CSP; the interactive
Swagger UI stays one link away at /api/docs/try for those who want to send requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

METHODS = ("get", "post", "put", "patch", "delete")
REF_PREFIX = "#/components/schemas/"


@dataclass
class Field:
    name: str
    type: str
    ref: str = ""  # a component schema it names, for a link
    required: bool = False
    where: str = ""  # path, query, header (parameters only)
    description: str = ""


@dataclass
class Operation:
    method: str
    path: str
    anchor: str
    summary: str
    description: str
    parameters: list[Field]
    body: Field | None
    responses: list[Field]
    auth: bool


@dataclass
class Component:
    name: str
    description: str
    fields: list[Field] = field(default_factory=list)


def type_of(schema: dict) -> tuple[str, str]:
    """A plain name for a JSON schema ("integer", "array of ThreadOut", "string or null") and a component it names."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix(REF_PREFIX)
        return name, name
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            parts = [type_of(s) for s in schema[key]]
            return " or ".join(p[0] for p in parts), next((p[1] for p in parts if p[1]), "")
    if schema.get("type") == "array":
        inner, ref = type_of(schema.get("items", {}))
        return f"array of {inner}", ref
    name = schema.get("type", "any")
    if "format" in schema:
        name = f"{name} ({schema['format']})"
    if "enum" in schema:
        name = f"{name}: one of {', '.join(str(v) for v in schema['enum'])}"
    return name, ""


def _field(name: str, schema: dict, *, required: bool = False, where: str = "", description: str = "") -> Field:
    kind, ref = type_of(schema)
    limits = [f"{k} {schema[k]}" for k in ("minimum", "maximum", "maxLength") if k in schema]
    if "default" in schema:
        limits.append(f"default {schema['default']}")
    text = " · ".join(filter(None, [description or schema.get("description", ""), ", ".join(limits)]))
    return Field(name=name, type=kind, ref=ref, required=required, where=where, description=text)


def _json_schema(content: dict) -> dict:
    return (content or {}).get("application/json", {}).get("schema", {})


def operations(schema: dict) -> list[Operation]:
    """Every endpoint in the schema, in its order, with parameters, body and responses."""
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [
                _field(p["name"], p.get("schema", {}), required=p.get("required", False), where=p.get("in", ""))
                for p in op.get("parameters", [])
            ]
            body = op.get("requestBody")
            found.append(
                Operation(
                    method=method.upper(),
                    path=path,
                    anchor=op.get("operationId", f"{method}-{path}"),
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    parameters=params,
                    body=_field("body", _json_schema(body.get("content")), required=True) if body else None,
                    responses=[
                        _field(code, _json_schema(r.get("content")), description=r.get("description", ""))
                        for code, r in sorted(op.get("responses", {}).items())
                    ],
                    auth=bool(op.get("security")),
                )
            )
    return found


def components(schema: dict) -> list[Component]:
    result = []
    for name, body in schema.get("components", {}).get("schemas", {}).items():
        required = set(body.get("required", []))
        fields = [_field(n, s, required=n in required) for n, s in body.get("properties", {}).items()]
        result.append(Component(name=name, description=body.get("description", ""), fields=fields))
    return result


@cache
def _reference() -> dict:
    """The schema, read into what the page shows: built once per process (it changes only with the code)."""
    from config.api import api  # late: config.api mounts this view

    schema = api.get_openapi_schema(path_prefix="/api/")
    return {"info": schema.get("info", {}), "operations": operations(schema), "components": components(schema)}


def docs(request: HttpRequest) -> HttpResponse:
    return render(request, "api_docs.html", _reference())
