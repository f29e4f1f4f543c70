#!/usr/bin/python3
"""`claimsctl schema` must be a valid draft 2020-12 schema that accepts the shipped workflow and
calendar and rejects structural mistakes (unknown keys, guard kinds, duration units).

Usage: check_schema.py CLAIMSCTL WORKFLOW CALENDAR BAD_FIXTURE_DIR
"""
import json
import os
import subprocess
import sys

import jsonschema
import yaml


class EditorLoader(yaml.SafeLoader):
    """Reads YAML as editors' language servers do (YAML 1.2 core): dates stay strings."""


EditorLoader.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def schema(claimsctl, *flags):
    out = subprocess.run([claimsctl, "schema", *flags], check=True, capture_output=True, text=True)
    document = json.loads(out.stdout)
    jsonschema.Draft202012Validator.check_schema(document)
    return jsonschema.Draft202012Validator(document)


def load(path):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=EditorLoader)


def errors(validator, path):
    return [f"{path}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(load(path))]


def main():
    claimsctl, workflow, calendar, bad_dir = sys.argv[1:5]
    failures = []
    workflow_schema = schema(claimsctl)
    calendar_schema = schema(claimsctl, "--calendar")
    failures += errors(workflow_schema, workflow)
    failures += errors(calendar_schema, calendar)
    for name in ("unknown_key.yaml", "unknown_guard_kind.yaml", "bad_duration.yaml"):
        path = os.path.join(bad_dir, name)
        if not errors(workflow_schema, path):
            failures.append(f"{path}: the schema accepts it")
    for failure in failures:
        print("FAIL", failure)
    if failures:
        return 1
    print(f"schema accepts {workflow} and {calendar}, rejects the structural mistakes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
