"""A small validator for the subset of OpenAPI 3.0 schemas rdpd's document
uses: $ref, type (with nullable), required, properties, items, enum,
additionalProperties, minimum/maximum. Returns a list of error strings."""


def _resolve(doc, schema):
    while "$ref" in schema:
        name = schema["$ref"].split("/")[-1]
        schema = doc["components"]["schemas"][name]
    return schema


def validate(doc, schema, value, path="$"):
    schema = _resolve(doc, schema)
    errors = []
    if value is None:
        if not schema.get("nullable"):
            errors.append("%s: null not allowed" % path)
        return errors
    t = schema.get("type")
    kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t in kinds and not isinstance(value, kinds[t]):
        return ["%s: expected %s, got %r" % (path, t, value)]
    if t == "integer" and (not isinstance(value, int) or isinstance(value, bool)):
        return ["%s: expected integer, got %r" % (path, value)]
    if t == "number" and (not isinstance(value, (int, float)) or isinstance(value, bool)):
        return ["%s: expected number, got %r" % (path, value)]
    if "enum" in schema and value not in schema["enum"]:
        errors.append("%s: %r not in %r" % (path, value, schema["enum"]))
    if "minimum" in schema and value < schema["minimum"]:
        errors.append("%s: %r below minimum" % (path, value))
    if "maximum" in schema and value > schema["maximum"]:
        errors.append("%s: %r above maximum" % (path, value))
    if t == "object":
        for key in schema.get("required", []):
            if key not in value:
                errors.append("%s: missing %s" % (path, key))
        props = schema.get("properties", {})
        for key, v in value.items():
            if key in props:
                errors += validate(doc, props[key], v, path + "." + key)
            elif isinstance(schema.get("additionalProperties"), dict):
                errors += validate(doc, schema["additionalProperties"], v, path + "." + key)
    if t == "array":
        for i, v in enumerate(value):
            errors += validate(doc, schema.get("items", {}), v, "%s[%d]" % (path, i))
    return errors


def response_schema(doc, path, method, status, ctype):
    op = doc["paths"][path][method.lower()]
    resp = op["responses"].get(str(status))
    if resp is None:
        return None
    return resp.get("content", {}).get(ctype, {}).get("schema")
