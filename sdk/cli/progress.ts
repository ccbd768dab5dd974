/**
 * Terminal progress for long CLI work: a redrawn bar on a TTY, a line every few seconds
 * otherwise (CI logs, pipes), so that output stays readable in both.
 */
export interface Progress {
  update(done: number, note?: string): void;
  done(note?: string): void;
}

export function progress(label: string, total: number, out: NodeJS.WriteStream = process.stderr): Progress {
  const tty = Boolean(out.isTTY);
  const started = Date.now();
  let lastLine = 0;
  let current = 0;
  const render = (note: string | undefined, final: boolean) => {
    const frac = total > 0 ? Math.min(1, current / total) : 1;
    const secs = (Date.now() - started) / 1000;
    const stats = `${fmt(current)}/${fmt(total)} ${secs.toFixed(1)}s${note ? '  ' + note : ''}`;
    if (tty) {
      const width = 28;
      const filled = Math.round(frac * width);
      out.write(`\r${label.padEnd(22)} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${stats}\x1b[K${final ? '\n' : ''}`);
    } else if (final || Date.now() - lastLine > 3000) {
      lastLine = Date.now();
      out.write(`${label.padEnd(22)} ${(frac * 100).toFixed(0).padStart(3)}% ${stats}\n`);
    }
  };
  return {
    update(done, note) {
      current = done;
      render(note, false);
    },
    done(note) {
      current = Math.max(current, total);
      render(note, true);
    },
  };
}

export function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A two-column table for closing summaries. */
export function summaryTable(title: string, rows: Array<[string, string]>): string {
  const w = Math.max(...rows.map(([k]) => k.length));
  return [title, ...rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`)].join('\n');
}
