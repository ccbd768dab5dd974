import { KafkalabError } from '../util/errors';

export type FlagSpec = Record<string, { type: 'string' | 'number' | 'boolean'; alias?: string; default?: string | number | boolean }>;
export type Flags<S extends FlagSpec> = { [K in keyof S]: S[K]['type'] extends 'number' ? number : S[K]['type'] extends 'boolean' ? boolean : string } & { _: string[] };

/** `--name value`, `--name=value`, `--flag`, `--no-flag`; unknown flags are an error, not ignored. */
export function parseFlags<S extends FlagSpec>(argv: string[], spec: S, command: string): Flags<S> {
  const out: Record<string, unknown> = { _: [] as string[] };
  for (const [k, v] of Object.entries(spec)) if (v.default !== undefined) out[k] = v.default;
  const byAlias = new Map<string, string>();
  for (const [k, v] of Object.entries(spec)) if (v.alias) byAlias.set(v.alias, k);
  const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-')) {
      (out._ as string[]).push(arg);
      continue;
    }
    let [rawName, inline] = arg.replace(/^--?/, '').split(/=(.*)/s, 2) as [string, string | undefined];
    let negate = false;
    if (rawName.startsWith('no-') && spec[camel(rawName.slice(3))]?.type === 'boolean') {
      negate = true;
      rawName = rawName.slice(3);
    }
    const name = byAlias.get(rawName) ?? camel(rawName);
    const def = spec[name];
    if (!def) throw new KafkalabError(`unknown option ${arg}`, { code: 'BAD_OPTION', hint: `see \`kafkalab ${command} --help\`` });
    if (def.type === 'boolean') {
      out[name] = negate ? false : inline === undefined ? true : inline !== 'false';
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new KafkalabError(`option --${rawName} needs a value`, { code: 'BAD_OPTION' });
    if (def.type === 'number') {
      const n = value === 'Infinity' || value === 'inf' ? Infinity : Number(value);
      if (Number.isNaN(n)) throw new KafkalabError(`option --${rawName} takes a number, got "${value}"`, { code: 'BAD_OPTION' });
      out[name] = n;
    } else out[name] = value;
  }
  return out as Flags<S>;
}
