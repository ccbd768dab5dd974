// Protobuf schemas in the registry: .proto text and base64 descriptors (as Confluent's Python
// serializer sends them), imports through references, and the compatibility rules listed in
// sdk/registry/formats/protobuf.ts.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as protobuf from 'protobufjs';
import { parseProtobuf, protobufFormat } from '../../../sdk/registry/formats/protobuf';

const proto = (body: string, pkg = 'lab') => `syntax = "proto3";\npackage ${pkg};\n${body}`;
const problems = (newer: string, older: string) => protobufFormat.incompatibilities(parseProtobuf(newer), parseProtobuf(older));
const types = (ps: string[]) => ps.map((p) => /errorType:'(\w+)'/.exec(p)![1]);

test('parse: messages in file order, package, well-known imports, 42201 for bad text', () => {
  const p = parseProtobuf(proto('import "google/protobuf/timestamp.proto";\nmessage Reading { google.protobuf.Timestamp at = 1; double v = 2; message Inner { int32 x = 1; } }\nmessage Other { string s = 1; }'));
  assert.equal(p.messages, ['lab.Reading', 'lab.Other']);
  assert.is(p.recordName, 'lab.Reading');
  assert.throws(() => parseProtobuf('message {'), (e: any) => e.errorCode === 42201);
  assert.throws(() => parseProtobuf(proto('import "other.proto";\nmessage A { other.B b = 1; }')), (e: any) => e.errorCode === 42201 && /references/.test(e.message));
});

test('parse: a base64 FileDescriptorProto and a reference by import name', () => {
  const other = proto('message B { int64 n = 1; }', 'other');
  const main = proto('import "other.proto";\nmessage A { other.B b = 1; repeated string tags = 2; }');
  const p = parseProtobuf(main, [{ name: 'other.proto', schemaType: 'PROTOBUF', schema: other }]);
  assert.is((p.root.lookupType('lab.A').fields.b.resolvedType as protobuf.Type).fullName, '.other.B');
  // The same file as a serialized descriptor (what confluent_kafka's ProtobufSerializer registers).
  const descriptor = require('protobufjs/ext/descriptor');
  const root = new protobuf.Root();
  protobuf.parse(proto('message Reading { double speed = 1; string vin = 2; }'), root, { keepCase: true });
  const set = (root as any).toDescriptor('proto3');
  const b64 = Buffer.from(descriptor.FileDescriptorProto.encode(set.file[0]).finish()).toString('base64');
  const d = parseProtobuf(b64);
  assert.equal(d.messages, ['lab.Reading']);
  assert.equal(d.root.lookupType('lab.Reading').fieldsArray.map((f) => [f.name, f.type]), [['speed', 'double'], ['vin', 'string']]);
});

test('a descriptor is stored as .proto text that parses to the same messages (maps, oneofs, nesting, enums, labels)', () => {
  const rich = proto(`
message Reading {
  string motor = 1;
  map<string, double> gauges = 2;
  oneof source { string sensor = 3; int32 channel = 4; }
  repeated Bearing bearings = 5;
  State state = 6;
  optional double spare = 7;
  message Bearing { float vib = 1; map<int32, Bearing> children = 2; }
  enum State { RUN = 0; STOP = 1; }
}
enum Level { LOW = 0; HIGH = 1; }
message Other { Level level = 1; Reading.Bearing b = 2; }`);
  const descriptor = require('protobufjs/ext/descriptor');
  const root = new protobuf.Root();
  protobuf.parse(rich, root, { keepCase: true });
  root.resolveAll();
  const b64 = Buffer.from(descriptor.FileDescriptorProto.encode((root as any).toDescriptor('proto3').file[0]).finish()).toString('base64');
  const fromText = parseProtobuf(rich);
  const fromDescriptor = parseProtobuf(b64);
  assert.match(fromDescriptor.canonical, /^syntax = "proto3";\npackage lab;/);
  assert.match(fromDescriptor.canonical, /map<string, double> gauges = 2;/);
  assert.match(fromDescriptor.canonical, /oneof source \{\n    string sensor = 3;\n    int32 channel = 4;\n  \}/);
  const shape = (p: ReturnType<typeof parseProtobuf>) =>
    [...p.messages, 'lab.Reading.Bearing'].map((n) =>
      [...p.root.lookupType(n).fieldsArray].sort((a, b) => a.id - b.id).map((f) => [f.name, f.id, f.type.replace(/^\.?lab\./, '').replace(/^Reading\./, ''), f.repeated, f.map, f.partOf?.name ?? null]),
    );
  assert.equal(shape(fromDescriptor), shape(fromText));
  assert.equal(protobufFormat.incompatibilities(fromDescriptor, fromText), []);
  assert.equal(parseProtobuf(fromDescriptor.canonical).canonical, fromDescriptor.canonical, 'the text is stable');
});

test('compatible changes: fields added or removed, wire-compatible scalar changes, enum values', () => {
  const v1 = proto('message M { int32 a = 1; string s = 2; enum E { X = 0; Y = 1; } E e = 3; }');
  assert.equal(problems(proto('message M { int32 a = 1; string s = 2; enum E { X = 0; Y = 1; Z = 2; } E e = 3; double added = 4; }'), v1), []);
  assert.equal(problems(proto('message M { int64 a = 1; enum E { X = 0; } E e = 3; }'), v1), [], 'int32 → int64, s removed, Y removed');
  assert.equal(problems(proto('message M { int32 a = 1; bytes s = 2; enum E { X = 0; Y = 1; } E e = 3; }'), v1), [], 'string ↔ bytes');
  assert.equal(problems(proto('message M { int32 a = 1; oneof o { string s = 2; } enum E { X = 0; Y = 1; } E e = 3; }'), v1), [], 'one field into a new oneof');
});

test('incompatible changes', () => {
  const v1 = proto('message M { int32 a = 1; string s = 2; N n = 3; double d = 4; oneof o { int32 x = 5; } message N { int32 i = 1; } message K { int32 k = 1; } }');
  assert.equal(types(problems(proto('message M { int32 a = 1; string s = 2; N n = 3; double d = 4; oneof o { int32 x = 5; } message N { int32 i = 1; } }'), v1)), ['MESSAGE_REMOVED']);
  assert.equal(types(problems(proto('message M { string a = 1; string s = 2; N n = 3; double d = 4; oneof o { int32 x = 5; } message N { int32 i = 1; } message K { int32 k = 1; } }'), v1)), ['FIELD_SCALAR_KIND_CHANGED']);
  assert.equal(types(problems(proto('message M { int32 a = 1; string s = 2; K n = 3; double d = 4; oneof o { int32 x = 5; } message N { int32 i = 1; } message K { int32 k = 1; } }'), v1)), ['FIELD_NAMED_TYPE_CHANGED']);
  assert.equal(types(problems(proto('message M { int32 a = 1; N s = 2; N n = 3; double d = 4; oneof o { int32 x = 5; } message N { int32 i = 1; } message K { int32 k = 1; } }'), v1)), ['FIELD_KIND_CHANGED']);
  assert.equal(types(problems(proto('message M { repeated int32 a = 1; string s = 2; N n = 3; double d = 4; oneof o { int32 x = 5; } message N { int32 i = 1; } message K { int32 k = 1; } }'), v1)), ['FIELD_LABEL_CHANGED']);
  assert.equal(types(problems(proto('message M { int32 a = 1; string s = 2; N n = 3; oneof o { int32 x = 5; double d = 4; } message N { int32 i = 1; } message K { int32 k = 1; } }'), v1)), ['FIELD_MOVED_TO_EXISTING_ONEOF']);
  assert.equal(types(problems(proto('message M { oneof p { int32 a = 1; string s = 2; } N n = 3; double d = 4; oneof o { int32 x = 5; } message N { int32 i = 1; } message K { int32 k = 1; } }'), v1)), ['MULTIPLE_FIELDS_MOVED_TO_ONEOF']);
  assert.ok(types(problems(v1.replace('package lab', 'package lab2'), v1)).includes('PACKAGE_CHANGED'));
  const p2 = (body: string) => `syntax = "proto2";\npackage lab;\n${body}`;
  assert.equal(types(problems(p2('message M { optional int32 a = 1; required int32 b = 2; }'), p2('message M { optional int32 a = 1; }'))), ['REQUIRED_FIELD_ADDED']);
  assert.equal(types(problems(p2('message M { optional int32 a = 1; }'), p2('message M { optional int32 a = 1; required int32 b = 2; }'))), ['REQUIRED_FIELD_REMOVED']);
});

test.run();
