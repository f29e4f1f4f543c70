"""Renders the API reference from the protos' own comments.

render_api_reference.py DESCRIPTOR_SET OUTPUT.md
    DESCRIPTOR_SET: protoc --include_source_info --descriptor_set_out of protos/claims/v1.
render_api_reference.py --check OUTPUT.md PROTO...
    Fails unless OUTPUT.md has a section for every service, rpc, message and enum that the
    .proto files declare (read from their text, not from the descriptors the renderer used).

Run with /usr/bin/python3 (Debian's python3-protobuf).
"""
import re
import sys

# Field numbers in descriptor.proto, the path elements of SourceCodeInfo.Location.
FILE_MESSAGE, FILE_ENUM, FILE_SERVICE = 4, 5, 6
MESSAGE_FIELD, MESSAGE_NESTED, MESSAGE_ENUM = 2, 3, 4
ENUM_VALUE, SERVICE_METHOD = 2, 2

SCALARS = {
    1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32",
    8: "bool", 9: "string", 12: "bytes", 13: "uint32", 15: "sfixed32", 16: "sfixed64",
    17: "sint32", 18: "sint64",
}


def anchor(full_name):
    return full_name.lower().replace(".", "-")


def comment_of(comments, path):
    location = comments.get(tuple(path))
    if location is None:
        return ""
    text = location.leading_comments or location.trailing_comments
    return "\n".join(line[1:] if line.startswith(" ") else line
                     for line in text.strip("\n").split("\n")).strip()


def one_line(text):
    return " ".join(text.split()).replace("|", "\\|")


def type_link(type_name, local_package):
    name = type_name.lstrip(".")
    if name.startswith(local_package + "."):
        return f"[`{name[len(local_package) + 1:]}`](#{anchor(name)})"
    return f"`{name}`"


def field_type(field, local_package):
    from google.protobuf import descriptor_pb2
    if field.type in (descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE,
                      descriptor_pb2.FieldDescriptorProto.TYPE_ENUM):
        return type_link(field.type_name, local_package)
    return f"`{SCALARS[field.type]}`"


def render(descriptor_set_path, output_path):
    from google.protobuf import descriptor_pb2
    files = descriptor_pb2.FileDescriptorSet()
    with open(descriptor_set_path, "rb") as f:
        files.ParseFromString(f.read())
    ours = [f for f in files.file if f.name.startswith("claims/")]
    out = ["# claims.v1 API reference", "",
           "Generated from the comments of `protos/claims/v1/*.proto` at build time; the protos are",
           "the contract, this page only renders them. Resource names, errors and request limits",
           "are described on each method and field.", ""]
    toc_services, toc_types, body = [], [], []

    def emit_enum(enum, full_name, path, comments):
        toc_types.append(f"- [`{full_name}`](#{anchor(full_name)}) (enum)")
        body.extend([f'<a id="{anchor(full_name)}"></a>', "", f"### enum {full_name}", ""])
        text = comment_of(comments, path)
        if text:
            body.extend([text, ""])
        body.extend(["| value | number | description |", "|---|---|---|"])
        for i, value in enumerate(enum.value):
            description = one_line(comment_of(comments, path + [ENUM_VALUE, i]))
            body.append(f"| `{value.name}` | {value.number} | {description} |")
        body.append("")

    def emit_message(message, full_name, path, comments, package):
        toc_types.append(f"- [`{full_name}`](#{anchor(full_name)})")
        body.extend([f'<a id="{anchor(full_name)}"></a>', "", f"### message {full_name}", ""])
        text = comment_of(comments, path)
        if text:
            body.extend([text, ""])
        if message.field:
            body.extend(["| field | type | number | description |", "|---|---|---|---|"])
            for i, field in enumerate(message.field):
                kind = field_type(field, package)
                if field.label == field.LABEL_REPEATED:
                    kind = f"repeated {kind}"
                elif field.proto3_optional:
                    kind = f"optional {kind}"
                oneof = ""
                if field.HasField("oneof_index") and not field.proto3_optional:
                    oneof = f" (one of `{message.oneof_decl[field.oneof_index].name}`)"
                description = one_line(comment_of(comments, path + [MESSAGE_FIELD, i]))
                body.append(f"| `{field.name}` | {kind}{oneof} | {field.number} | {description} |")
            body.append("")
        else:
            body.extend(["No fields.", ""])
        for i, nested in enumerate(message.nested_type):
            if nested.options.map_entry:
                continue
            emit_message(nested, f"{full_name}.{nested.name}", path + [MESSAGE_NESTED, i],
                         comments, package)
        for i, enum in enumerate(message.enum_type):
            emit_enum(enum, f"{full_name}.{enum.name}", path + [MESSAGE_ENUM, i], comments)

    for proto in ours:
        comments = {tuple(location.path): location for location in proto.source_code_info.location}
        package = proto.package
        for s, service in enumerate(proto.service):
            full_name = f"{package}.{service.name}"
            toc_services.append(f"- [`{full_name}`](#{anchor(full_name)}) ({proto.name})")
            body.extend([f'<a id="{anchor(full_name)}"></a>', "", f"## service {full_name}", ""])
            text = comment_of(comments, [FILE_SERVICE, s])
            if text:
                body.extend([text, ""])
            for m, method in enumerate(service.method):
                request = type_link(method.input_type, package)
                response = type_link(method.output_type, package)
                if method.client_streaming:
                    request = f"stream {request}"
                if method.server_streaming:
                    response = f"stream {response}"
                body.extend([f'<a id="{anchor(full_name + "." + method.name)}"></a>', "",
                             f"### rpc {method.name}", "",
                             f"`{method.name}`({request}) returns ({response})", ""])
                text = comment_of(comments, [FILE_SERVICE, s, SERVICE_METHOD, m])
                if text:
                    body.extend([text, ""])
        for m, message in enumerate(proto.message_type):
            emit_message(message, f"{package}.{message.name}", [FILE_MESSAGE, m], comments,
                         package)
        for e, enum in enumerate(proto.enum_type):
            emit_enum(enum, f"{package}.{enum.name}", [FILE_ENUM, e], comments)

    out.extend(["## Services", ""] + toc_services + ["", "## Messages and enums", ""] +
               toc_types + [""] + body)
    with open(output_path, "w", encoding="utf-8") as f:
        f.write("\n".join(out).rstrip("\n") + "\n")


def check(output_path, proto_paths):
    text = open(output_path, encoding="utf-8").read()
    headings = set(re.findall(r"(?m)^##+ (?:service|rpc|message|enum) (\S+)$", text))
    missing = []
    for path in proto_paths:
        source = re.sub(r"//[^\n]*", "", open(path, encoding="utf-8").read())
        package = re.search(r"(?m)^package ([\w.]+);", source).group(1)
        for name in re.findall(r"(?m)^service (\w+)", source):
            if f"{package}.{name}" not in headings:
                missing.append(f"service {package}.{name}")
        for name in re.findall(r"(?m)^\s*rpc (\w+)\s*\(", source):
            if name not in headings:
                missing.append(f"rpc {name} ({path})")
        # Messages and enums at any depth: their names, wherever they are nested.
        short_names = {h.rsplit(".", 1)[-1] for h in headings}
        for kind, name in re.findall(r"(?m)^\s*(message|enum) (\w+)\s*\{", source):
            if name not in short_names:
                missing.append(f"{kind} {name} ({path})")
    if missing:
        print("the API reference lacks:\n  " + "\n  ".join(missing))
        return 1
    print(f"the API reference covers every service, rpc, message and enum of "
          f"{len(proto_paths)} files ({len(headings)} sections)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--check":
        sys.exit(check(sys.argv[2], sys.argv[3:]))
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    render(sys.argv[1], sys.argv[2])
