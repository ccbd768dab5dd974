/**
 * Wakes held Fetch requests when one of their partitions gets new data. Waiters subscribe per
 * "topic/partition" key; a produce notifies the key and every waiter on it runs once.
 */
export interface AppendWait {
  /** Resolves on the first append to any watched partition, on timeout, or on cancel. */
  readonly done: Promise<'append' | 'timeout' | 'cancel'>;
  cancel(): void;
}

export class AppendNotifier {
  private waiters = new Map<string, Set<() => void>>();
  private all = new Set<() => void>();

  static key(topic: string, partition: number): string {
    return `${topic}/${partition}`;
  }

  notify(topic: string, partition: number): void {
    const set = this.waiters.get(AppendNotifier.key(topic, partition));
    if (!set) return;
    for (const fn of [...set]) fn();
  }

  wait(partitions: Array<[topic: string, partition: number]>, timeoutMs: number): AppendWait {
    const keys = partitions.map(([t, p]) => AppendNotifier.key(t, p));
    let finish!: (why: 'append' | 'timeout' | 'cancel') => void;
    const done = new Promise<'append' | 'timeout' | 'cancel'>((resolve) => {
      let settled = false;
      const timer = setTimeout(() => finish('timeout'), Math.max(0, timeoutMs));
      finish = (why) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        for (const k of keys) {
          const set = this.waiters.get(k);
          if (!set) continue;
          set.delete(onAppend);
          if (set.size === 0) this.waiters.delete(k);
        }
        this.all.delete(onCancel);
        resolve(why);
      };
      const onAppend = () => finish('append');
      const onCancel = () => finish('cancel');
      for (const k of keys) {
        let set = this.waiters.get(k);
        if (!set) this.waiters.set(k, (set = new Set()));
        set.add(onAppend);
      }
      this.all.add(onCancel);
    });
    return { done, cancel: () => finish('cancel') };
  }

  /** Releases every waiter (broker stopping). */
  cancelAll(): void {
    for (const fn of [...this.all]) fn();
  }
}
