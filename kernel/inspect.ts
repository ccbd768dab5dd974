/**
 * Completion and Shift-Tab help that fit a notebook user:
 * - inspection (Shift-Tab) of a call whose parameter is an options object (`t.read(|)` shows
 *   `read(opts?: ReadOptions)`) also lists that interface's options with their docs, read from
 *   the installed kafkalab's declaration files, so "see ReadOptions" is not a dead end;
 * - completion on a Kafka connection (`kafka.|`) leaves out the members other parts of the SDK
 *   call but users should not (`call`, `track`, `explain`, `requireTopic`, `producer`, …): they
 *   are public in TypeScript's sense only because sibling classes use them.
 * Both post-process tslab's replies (JupyterHandlerImpl.handleInspect / handleComplete).
 */
import * as fs from 'fs';
import * as path from 'path';
import type * as TS from 'typescript';

interface OptionDoc {
  name: string;
  type: string;
  doc: string;
}

interface InterfaceDoc {
  members: OptionDoc[];
  bases: string[];
}

/** Members of a class that completion hides, recognised by members only that class has. */
const HIDDEN: { when: string[]; hide: string[] }[] = [
  {
    when: ['createTopic', 'topics', 'topic', 'ensureTopic'],
    hide: ['call', 'track', 'explain', 'requireTopic', 'producer', 'ensureTopic', 'requireSchemaRegistry', 'kafka', 'clientConfig', 'logger'],
  },
];

export function filterCompletions(matches: string[]): string[] {
  let out = matches;
  for (const rule of HIDDEN) {
    if (rule.when.every((m) => matches.includes(m))) out = out.filter((m) => !rule.hide.includes(m));
  }
  return out;
}

let index: Map<string, InterfaceDoc> | undefined;

/** Every exported interface in kafkalab's declaration files (dist/**\/*.d.ts), by name. */
function interfaces(ts: typeof TS, root: string): Map<string, InterfaceDoc> {
  if (index) return index;
  index = new Map();
  const files: string[] = [];
  const walk = (dir: string) => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory() && e.name !== 'templates') walk(p);
      else if (e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(path.join(root, 'dist', 'sdk'));
  for (const file of files) {
    const src = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    src.forEachChild((node) => {
      if (!ts.isInterfaceDeclaration(node) || index!.has(node.name.text)) return;
      const members: OptionDoc[] = [];
      for (const m of node.members) {
        if (!ts.isPropertySignature(m) && !ts.isMethodSignature(m)) continue;
        const name = m.name.getText(src);
        const type = ts.isPropertySignature(m) && m.type ? m.type.getText(src).replace(/\s+/g, ' ') : 'function';
        const doc = ts
          .getJSDocCommentsAndTags(m)
          .map((d) => (typeof d.comment === 'string' ? d.comment : ''))
          .join(' ')
          .replace(/\s+/g, ' ')
          .trim();
        members.push({ name: `${name}${m.questionToken ? '?' : ''}`, type, doc });
      }
      const bases = (node.heritageClauses ?? []).flatMap((h) => h.types.map((t) => t.expression.getText(src)));
      index!.set(node.name.text, { members, bases });
    });
  }
  return index;
}

function allMembers(ts: typeof TS, root: string, name: string, seen = new Set<string>()): OptionDoc[] {
  if (seen.has(name)) return [];
  seen.add(name);
  const i = interfaces(ts, root).get(name);
  if (!i) return [];
  const own = i.members;
  const inherited = i.bases.flatMap((b) => allMembers(ts, root, b, seen)).filter((m) => !own.some((o) => o.name === m.name));
  return [...own, ...inherited];
}

/** The inspection text with the members of each kafkalab options interface it names appended. */
export function withOptionDocs(ts: typeof TS, root: string, text: string): string {
  const names = [...new Set([...text.matchAll(/\b([A-Z][A-Za-z]*Options)\b/g)].map((m) => m[1]))];
  const sections: string[] = [];
  for (const name of names.slice(0, 3)) {
    const members = allMembers(ts, root, name);
    if (!members.length) continue;
    const width = Math.min(24, Math.max(...members.map((m) => m.name.length)));
    sections.push(
      `${name}:\n` +
        members
          .map((m) => `  ${m.name.padEnd(width)}  ${m.type.length > 60 ? m.type.slice(0, 57) + '…' : m.type}${m.doc ? `\n  ${' '.repeat(width)}  ${m.doc.length > 160 ? m.doc.slice(0, 157) + '…' : m.doc}` : ''}`)
          .join('\n'),
    );
  }
  return sections.length ? `${text}\n\n${sections.join('\n\n')}` : text;
}

/** The position of the last character of the callee's name of the innermost call still open at `cursor`, if any. */
export function enclosingCallParen(code: string, cursor: number): number | undefined {
  let depth = 0;
  for (let i = Math.min(cursor, code.length) - 1; i >= 0; i--) {
    const c = code[i];
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '[' || c === '{') depth = Math.max(0, depth - 1);
    else if (c === '(') {
      if (depth === 0) {
        const m = /[\w$](\s*)$/.exec(code.slice(0, i));
        return m ? i - m[1].length - 1 : undefined;
      }
      depth--;
    } else if (c === ';' || (c === '\n' && depth === 0 && code[i - 1] === ';')) return undefined;
  }
  return undefined;
}

interface HandlerPrototype {
  handleInspect(req: unknown): { found?: boolean; data?: Record<string, string> };
  handleComplete(req: unknown): { matches?: string[] };
}

export function installInspectHelp(jupyter: Record<string, unknown>, ts: typeof TS, root: string): void {
  const Impl = jupyter.JupyterHandlerImpl as { prototype: HandlerPrototype } | undefined;
  if (!Impl || typeof Impl.prototype.handleInspect !== 'function' || typeof Impl.prototype.handleComplete !== 'function') return;
  const inspect = Impl.prototype.handleInspect;
  const complete = Impl.prototype.handleComplete;
  Impl.prototype.handleInspect = function (this: unknown, req: unknown) {
    let reply = inspect.call(this, req);
    // Inside a call's parentheses (`t.read(|`, `t.read({ from: |`) TypeScript has nothing at the
    // cursor: inspect the function being called instead, as Shift-Tab users expect.
    const r = req as { code?: string; cursor_pos?: number };
    if (!reply?.found && typeof r.code === 'string' && typeof r.cursor_pos === 'number') {
      const open = enclosingCallParen(r.code, r.cursor_pos);
      if (open !== undefined) reply = inspect.call(this, { ...r, cursor_pos: open });
    }
    const text = reply?.data?.['text/plain'];
    if (reply?.found && typeof text === 'string') {
      try {
        reply.data!['text/plain'] = withOptionDocs(ts, root, text);
      } catch {
        /* keep tslab's text */
      }
    }
    return reply;
  };
  Impl.prototype.handleComplete = function (this: unknown, req: unknown) {
    const reply = complete.call(this, req);
    if (Array.isArray(reply?.matches)) reply.matches = filterCompletions(reply.matches);
    return reply;
  };
}
