#!/usr/bin/env python3
"""ward's event schema (docs/events.schema.json), stdlib only.

  events_schema.py validate SCHEMA FILE...   every line of every FILE is a valid event;
                                             prints "kinds: kind[/variant]=N ..." on success
  events_schema.py check-doc SCHEMA DOC      docs/events.md names every field of every kind
                                             in that kind's section, names no field the
                                             schema lacks, and its example lines validate
  events_schema.py covered SCHEMA "kinds: ..."  every kind and variant of the schema is in
                                             the line `validate` printed
  events_schema.py c-header SCHEMA           C declarations for the collector (kinds list)

Exit status 0 when everything holds, 1 otherwise (each problem on stderr).
"""
import json
import re
import sys

TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def check_value(spec, v, where, errs):
    types = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    if not any(TYPES[t](v) for t in types):
        errs.append(f"{where}: {json.dumps(v)[:60]} is not {'/'.join(types)}")
        return
    if "enum" in spec and v not in spec["enum"]:
        errs.append(f"{where}: {json.dumps(v)[:60]} not one of {spec['enum']}")
    if "minimum" in spec and isinstance(v, int) and v < spec["minimum"]:
        errs.append(f"{where}: {v} < {spec['minimum']}")
    if "pattern" in spec and isinstance(v, str) and not re.search(spec["pattern"], v):
        errs.append(f"{where}: {v[:60]!r} does not match {spec['pattern']}")
    if isinstance(v, list) and "items" in spec:
        for i, x in enumerate(v):
            check_value(spec["items"], x, f"{where}[{i}]", errs)
    if isinstance(v, dict) and "fields" in spec:
        check_object(spec["fields"], v, where, errs)


def check_object(fields, obj, where, errs):
    for k, spec in fields.items():
        if spec.get("required") and k not in obj:
            errs.append(f"{where}: missing {k}")
    for k, v in obj.items():
        if k not in fields:
            errs.append(f"{where}: field {k} is not in the schema")
        else:
            check_value(fields[k], v, f"{where}.{k}", errs)


def event_fields(schema, ev):
    """The fields an event may carry, and its kind[/variant] name (None if unknown)."""
    kind = ev.get("kind")
    k = schema["kinds"].get(kind)
    if k is None:
        return None, None
    fields = dict(schema["common"])
    fields.update(k.get("fields", {}))
    name = kind
    if "discriminator" in k:
        d = ev.get(k["discriminator"])
        var = k["variants"].get(d)
        if var is None:
            return fields, None
        fields.update(var)
        name = f"{kind}/{d}"
    return fields, name


def validate_event(schema, ev, where):
    errs = []
    if not isinstance(ev, dict):
        return [f"{where}: not an object"], None
    fields, name = event_fields(schema, ev)
    if fields is None:
        return [f"{where}: unknown kind {ev.get('kind')!r}"], None
    if name is None:
        errs.append(f"{where}: unknown variant of {ev.get('kind')}")
    check_object(fields, ev, where, errs)
    return errs, name


def cmd_validate(schema, files):
    seen, errs = {}, []
    for f in files:
        with open(f, encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    ev = json.loads(line)
                except ValueError as e:
                    errs.append(f"{f}:{n}: not JSON: {e}")
                    continue
                e, name = validate_event(schema, ev, f"{f}:{n}")
                errs += e
                if name:
                    seen[name] = seen.get(name, 0) + 1
    for e in errs[:50]:
        print(e, file=sys.stderr)
    print("kinds: " + " ".join(f"{k}={v}" for k, v in sorted(seen.items())))
    return 1 if errs else 0


def doc_sections(doc):
    """{kind: text of its '## kind `X`' section}, and the common-fields section."""
    parts = re.split(r"^## ", doc, flags=re.M)
    out = {}
    for p in parts:
        m = re.match(r"kind `([a-z]+)`", p)
        if m:
            out[m.group(1)] = p
        elif p.startswith("Common fields"):
            out["<common>"] = p
    return out


def cmd_check_doc(schema, docfile):
    doc = open(docfile, encoding="utf-8").read()
    secs = doc_sections(doc)
    errs = []
    for f in schema["common"]:
        if f"`{f}`" not in secs.get("<common>", ""):
            errs.append(f"{docfile}: common field {f} is not documented")
    for kind, k in schema["kinds"].items():
        text = secs.get(kind)
        if text is None:
            errs.append(f"{docfile}: no section for kind {kind}")
            continue
        names = set(k.get("fields", {}))
        nested = {}
        for var in k.get("variants", {}).values():
            names |= set(var)
            for fname, spec in var.items():
                if "fields" in spec:
                    nested[fname] = spec["fields"]
                if "items" in spec and "fields" in spec["items"]:
                    nested[fname] = spec["items"]["fields"]
        for fname in sorted(names):
            if f"`{fname}`" not in text:
                errs.append(f"{docfile}: kind {kind}: field {fname} is not documented")
        for parent, sub in nested.items():
            for fname in sub:
                if fname not in text:
                    errs.append(f"{docfile}: kind {kind}: {parent}.{fname} is not documented")
        # The fields the section's prose names as this kind's own (`name` followed by a
        # parenthesis or a comma in a list) must exist.
        for m in re.finditer(r"^`([a-z_0-9]+)` \(", text, flags=re.M):
            if m.group(1) not in names and m.group(1) not in schema["common"]:
                errs.append(f"{docfile}: kind {kind}: documents {m.group(1)}, not in the schema")
    n = 0
    for line in doc.splitlines():
        if line.startswith('{"time"'):
            n += 1
            e, _ = validate_event(schema, json.loads(line), f"{docfile}: example {n}")
            errs += e
    if n == 0:
        errs.append(f"{docfile}: no example events")
    for e in errs:
        print(e, file=sys.stderr)
    return 1 if errs else 0


def cmd_covered(schema, line):
    seen = {w.split("=")[0] for w in line.replace("kinds:", "").split()}
    want = []
    for kind, k in schema["kinds"].items():
        if "variants" in k:
            want += [f"{kind}/{v}" for v in k["variants"]]
        else:
            want.append(kind)
    missing = [w for w in want if w not in seen]
    for w in missing:
        print(f"no event of {w} was produced", file=sys.stderr)
    return 1 if missing else 0


def cmd_c_header(schema):
    kinds = list(schema["kinds"])
    print("/* Generated from docs/events.schema.json by tools/events_schema.py: do not edit. */")
    print("#pragma once")
    print(f"#define WARD_EVENT_KINDS_N {len(kinds)}")
    print("#define WARD_EVENT_KINDS " + ", ".join(f'"{k}"' for k in kinds))
    actions = schema["common"]["action"]["enum"]
    print("#define WARD_EVENT_ACTIONS " + ", ".join(f'"{a}"' for a in actions))
    return 0


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.load(open(argv[2], encoding="utf-8"))
    if argv[1] == "validate":
        return cmd_validate(schema, argv[3:])
    if argv[1] == "check-doc" and len(argv) == 4:
        return cmd_check_doc(schema, argv[3])
    if argv[1] == "covered" and len(argv) == 4:
        return cmd_covered(schema, argv[3])
    if argv[1] == "c-header":
        return cmd_c_header(schema)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
