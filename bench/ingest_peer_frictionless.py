"""The same rules as `shuyuan ingest` applies to the demo population, through frictionless (PyPI): every column
read, the citizen ID required, matching the GB 11643 pattern (18 characters, the last a digit or X) and unique as
the primary key, the name required. Frictionless has no check-character or birth-date rule, so it checks less.
Usage: python3 bench/ingest_peer_frictionless.py people.csv"""
import os
import sys

from frictionless import Resource, Schema, validate

schema = Schema.from_descriptor({
    "fields": [
        {"name": "gmsfhm", "type": "string", "constraints": {"required": True, "pattern": "[0-9]{17}[0-9X]"}},
        {"name": "xm", "type": "string", "constraints": {"required": True}},
        {"name": "xb", "type": "string"},
        {"name": "csrq", "type": "date"},
        {"name": "lxdh", "type": "string", "constraints": {"pattern": "1[3-9][0-9]{9}"}},
        {"name": "zz", "type": "string"},
    ],
    "primaryKey": ["gmsfhm"],
})
# Frictionless reads only paths under its base path.
path = os.path.abspath(sys.argv[1])
report = validate(Resource(path=os.path.basename(path), basepath=os.path.dirname(path), schema=schema), limit_errors=1000)
if not report.valid:
    print(report.flatten(["rowNumber", "fieldName", "type", "note"])[:3])
print("valid" if report.valid else f"invalid: {report.stats['errors']} errors")
