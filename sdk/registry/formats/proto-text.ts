/**
 * A FileDescriptorProto (what Confluent's Python serializer registers, base64-encoded) printed
 * as .proto text, which is what Confluent's registry stores and returns for it, so that readers
 * expecting text (kafkajs's registry client, Confluent's Java deserializer) can use the schema.
 * Covers what descriptors of data schemas hold: syntax, package, imports, messages (nested),
 * enums, fields with labels, maps, oneofs, proto3 `optional`. Options are left out.
 */

/* eslint-disable @typescript-eslint/no-explicit-any */
type Descriptor = any;

const SCALARS: Record<string, string> = {
  TYPE_DOUBLE: 'double', TYPE_FLOAT: 'float', TYPE_INT64: 'int64', TYPE_UINT64: 'uint64', TYPE_INT32: 'int32',
  TYPE_FIXED64: 'fixed64', TYPE_FIXED32: 'fixed32', TYPE_BOOL: 'bool', TYPE_STRING: 'string', TYPE_BYTES: 'bytes',
  TYPE_UINT32: 'uint32', TYPE_SFIXED32: 'sfixed32', TYPE_SFIXED64: 'sfixed64', TYPE_SINT32: 'sint32', TYPE_SINT64: 'sint64',
};

function fieldType(f: Descriptor): string {
  return SCALARS[f.type] ?? f.typeName;
}

function printEnum(e: Descriptor, indent: string): string[] {
  return [`${indent}enum ${e.name} {`, ...(e.value ?? []).map((v: Descriptor) => `${indent}  ${v.name} = ${v.number ?? 0};`), `${indent}}`];
}

function printMessage(m: Descriptor, indent: string, proto3: boolean, scope: string): string[] {
  const inner = indent + '  ';
  const nested: Descriptor[] = m.nestedType ?? [];
  const mapEntries: Descriptor[] = nested.filter((n) => n.options?.mapEntry);
  // protoc writes fully-qualified type names ('.pkg.Msg.GaugesEntry'); other writers relative ones.
  const entryOf = (typeName: string | undefined) =>
    typeName && mapEntries.find((n) => [`${scope}.${m.name}.${n.name}`, `${m.name}.${n.name}`, n.name].includes(typeName) || typeName === `${scope}.${m.name}.${n.name}`.slice(1));
  const oneofs: string[][] = (m.oneofDecl ?? []).map(() => []);
  const lines: string[] = [];
  const fieldLine = (f: Descriptor, pad: string): string => {
    const entry = f.label === 'LABEL_REPEATED' ? entryOf(f.typeName) : undefined;
    if (entry) {
      const [k, v] = entry.field;
      return `${pad}map<${fieldType(k)}, ${fieldType(v)}> ${f.name} = ${f.number};`;
    }
    const label = f.label === 'LABEL_REPEATED' ? 'repeated ' : f.label === 'LABEL_REQUIRED' ? 'required ' : !proto3 || f.proto3Optional ? 'optional ' : '';
    return `${pad}${label}${fieldType(f)} ${f.name} = ${f.number};`;
  };
  for (const f of m.field ?? []) {
    const real = f.oneofIndex !== undefined && f.oneofIndex !== null && !f.proto3Optional;
    if (real) oneofs[f.oneofIndex].push(fieldLine(f, inner + '  '));
    else lines.push(fieldLine(f, inner));
  }
  (m.oneofDecl ?? []).forEach((o: Descriptor, i: number) => {
    if (oneofs[i].length) lines.push(`${inner}oneof ${o.name} {`, ...oneofs[i], `${inner}}`);
  });
  for (const n of nested) if (!n.options?.mapEntry) lines.push(...printMessage(n, inner, proto3, `${scope}.${m.name}`));
  for (const e of m.enumType ?? []) lines.push(...printEnum(e, inner));
  return [`${indent}message ${m.name} {`, ...lines, `${indent}}`];
}

/** .proto text of a decoded FileDescriptorProto (protobufjs's toObject with enums as strings). */
export function descriptorToProto(fdp: Descriptor): string {
  const proto3 = fdp.syntax === 'proto3';
  const scope = fdp.package ? `.${fdp.package}` : '';
  const out = [`syntax = "${proto3 ? 'proto3' : 'proto2'}";`];
  if (fdp.package) out.push(`package ${fdp.package};`);
  for (const d of fdp.dependency ?? []) out.push(`import "${d}";`);
  out.push('');
  for (const m of fdp.messageType ?? []) out.push(...printMessage(m, '', proto3, scope), '');
  for (const e of fdp.enumType ?? []) out.push(...printEnum(e, ''), '');
  return out.join('\n').trimEnd() + '\n';
}
