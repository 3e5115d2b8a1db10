#!/usr/bin/python3
"""validate-config.py SCHEMA_DIR CONFIG: check an OCI config.json against
the runtime-spec JSON schema (config-schema.json of SCHEMA_DIR, with the
files it refers to).  Prints each violation as "path: message"; exit
status 0 when there is none, 1 otherwise, 2 on a usage error."""
import json
import pathlib
import sys
import warnings

import jsonschema


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema_dir = pathlib.Path(sys.argv[1]).resolve()
    schema = json.loads((schema_dir / "config-schema.json").read_text())
    with open(sys.argv[2]) as f:
        config = json.load(f)
    # RefResolver: what Debian's python3-jsonschema (4.10) has; newer
    # versions warn that it is deprecated, which changes nothing here
    warnings.simplefilter("ignore", DeprecationWarning)
    resolver = jsonschema.RefResolver(base_uri=schema_dir.as_uri() + "/", referrer=schema)
    validator = jsonschema.Draft4Validator(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.path))
    for e in errors:
        print("%s: %s" % ("/".join(map(str, e.path)) or "(top)", e.message[:300]))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
