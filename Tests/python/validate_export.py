"""Validates a Rapport privacy export against its JSON Schema: validate_export.py SCHEMA EXPORT."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
document = json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator.check_schema(schema)
validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
for error in errors[:20]:
    print("/".join(str(p) for p in error.path) or "(root)", ":", error.message)
sys.exit(1 if errors else 0)
