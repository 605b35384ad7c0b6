#!/usr/bin/env python3
"""Checks answers the api really gave against services/api/openapi.json.

Usage: openapi_check.py OPENAPI_JSON EXCHANGES_JSONL

EXCHANGES_JSONL has one recorded answer a line (written by openapi_itest.cpp):
{"method", "route" (the document's path template), "status", "headers"
(lower-case names), "body"}. For each: the operation exists, the status is
documented for it, the Content-Type is one the document lists for that
status, the body validates against that media type's schema (JSON Schema
2020-12, the dialect of OpenAPI 3.1; an ndjson body line by line), and every
header the document lists for the answer is present and fits its schema.
Then: every operation of the document was exercised at least once.

Validation is python3-jsonschema (Debian's package): Debian has no C++
JSON-Schema validator (nlohmann-json-schema-validator and valijson are not
in bookworm). Exit 0 when everything fits, 1 with one line per mismatch.
"""
import json
import sys
import warnings

import jsonschema

JSON_TYPES = ("application/json", "application/problem+json")


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        doc = json.load(f)
    with open(argv[2], encoding="utf-8") as f:
        exchanges = [json.loads(line) for line in f if line.strip()]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        resolver = jsonschema.RefResolver.from_schema(doc)
    validator_class = jsonschema.Draft202012Validator
    validator_class.check_schema({"$ref": "#/components/schemas/Vm"})

    def deref(node):
        while isinstance(node, dict) and "$ref" in node:
            _, node = resolver.resolve(node["$ref"])
        return node

    def schema_errors(schema, instance):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            v = validator_class(schema, resolver=resolver)
            return [
                f"{'/'.join(str(p) for p in e.absolute_path) or '(body)'}: {e.message}"
                for e in v.iter_errors(instance)
            ]

    problems = []
    exercised = set()
    for x in exchanges:
        where = f"{x['method']} {x['route']} -> {x['status']}"
        op = doc["paths"].get(x["route"], {}).get(x["method"].lower())
        if op is None:
            problems.append(f"{where}: no such operation in the document")
            continue
        exercised.add((x["route"], x["method"].lower()))
        responses = op["responses"]
        response = responses.get(str(x["status"]), responses.get("default"))
        if response is None:
            problems.append(f"{where}: status not documented (documented: {', '.join(responses)})")
            continue
        response = deref(response)
        headers = x.get("headers", {})
        for name, spec in response.get("headers", {}).items():
            spec = deref(spec)
            value = headers.get(name.lower())
            if value is None:
                problems.append(f"{where}: documented header {name} missing")
                continue
            if spec.get("schema", {}).get("type") == "integer" and not value.strip().isdigit():
                problems.append(f"{where}: header {name}: '{value}' is not an integer")
        content = response.get("content")
        body = x.get("body", "")
        if not content:
            if body:
                problems.append(f"{where}: a body where the document has none")
            continue
        ctype = headers.get("content-type", "").split(";")[0].strip()
        if ctype not in content:
            problems.append(f"{where}: Content-Type '{ctype}' not one of {', '.join(content)}")
            continue
        schema = content[ctype].get("schema")
        if schema is None:
            continue
        if ctype in JSON_TYPES:
            instances = [body]
        elif ctype == "application/x-ndjson":
            instances = [line for line in body.splitlines() if line.strip()]
            if not instances:
                problems.append(f"{where}: empty ndjson stream")
        else:
            continue  # text/event-stream, application/octet-stream: a string
        for text in instances:
            try:
                instance = json.loads(text)
            except ValueError as e:
                problems.append(f"{where}: body is not JSON ({e}): {text[:80]!r}")
                continue
            for err in schema_errors(schema, instance):
                problems.append(f"{where}: {err}")

    for path, ops in doc["paths"].items():
        for method in ops:
            if method in ("get", "put", "post", "delete", "patch") and (path, method) not in exercised:
                problems.append(f"{method.upper()} {path}: never exercised by the test")

    for p in problems:
        print(p)
    print(f"{len(exchanges)} answers checked against {len(exercised)} operations: "
          f"{len(problems)} mismatches")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
