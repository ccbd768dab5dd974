/** Names of the metadata columns a decoded frame starts with (record-decoder.ts): a value field named so keeps the first. */
export const META_NAMES: ReadonlySet<string> = new Set(['_key', '_partition', '_offset', '_timestamp', '_headers']);
