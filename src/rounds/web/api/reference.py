"""``GET /docs``: the API reference rendered from the OpenAPI schema on the server.

FastAPI's default Swagger UI loads its JavaScript from a CDN; Rounds runs on closed hospital networks, so the
reference is a plain server-rendered page instead (the machine-readable schema stays at ``/openapi.json``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from rounds.web.rendering import render

router = APIRouter(include_in_schema=False)

METHOD_ORDER = ("get", "post", "put", "patch", "delete")


def _schema_name(node: dict[str, Any] | None) -> str:
    if not node:
        return ""
    schema = node.get("content", {}).get("application/json", {}).get("schema", {})
    reference = schema.get("$ref") or schema.get("items", {}).get("$ref", "")
    name = reference.rsplit("/", 1)[-1] if reference else ""
    return f"list of {name}" if name and schema.get("type") == "array" else name


@router.get("/docs")
def api_reference(request: Request) -> Response:
    schema = request.app.openapi()
    operations: list[dict[str, Any]] = []
    for path, item in schema.get("paths", {}).items():
        for method in METHOD_ORDER:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.get("responses", {})
            success = next((code for code in sorted(responses) if code.startswith("2")), "")
            operations.append(
                {
                    "method": method.upper(),
                    "path": path,
                    "tag": (operation.get("tags") or ["other"])[0],
                    "summary": operation.get("summary", ""),
                    "description": operation.get("description", ""),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "required": parameter.get("required", False),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": _schema_name(operation.get("requestBody")),
                    "success": success,
                    "returns": _schema_name(responses.get(success)),
                }
            )
    return render(
        request,
        "api_reference.html",
        {"title": "API reference", "info": schema.get("info", {}), "operations": operations},
    )
