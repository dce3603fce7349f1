#!/usr/bin/python3
"""Validates constrained replies with a real JSON-schema validator (Debian's python3-jsonschema), not ours.

usage: validate_replies.py FILE   (JSON lines: {"schema": {...}, "reply": "<the reply's text>"})
Prints one line per reply that is not JSON or breaks its schema; exit status 1 when there is any.
"""
import json
import sys

import jsonschema


def main():
    bad = 0
    count = 0
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            case = json.loads(line)
            count += 1
            try:
                doc = json.loads(case["reply"])
            except ValueError as e:
                print(f"not JSON ({e}): {case['reply']!r} for {json.dumps(case['schema'])}")
                bad += 1
                continue
            validator = jsonschema.Draft202012Validator(case["schema"],
                                                        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
            for err in validator.iter_errors(doc):
                print(f"invalid: {err.message} at {list(err.absolute_path)}: {case['reply']!r} "
                      f"for {json.dumps(case['schema'])}")
                bad += 1
    print(f"{count} replies checked, {bad} problems")
    return 1 if bad or count == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
