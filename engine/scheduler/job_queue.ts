/**
 * The due-time queue of the scheduler: document ids (jobs and cron jobs) ordered by when they
 * are due. A binary min-heap with lazy deletion: `set` and `delete` record the latest due time
 * per id; stale heap entries are skipped when they surface. Pure, no I/O.
 */

interface Entry {
  readonly id: string;
  readonly dueMs: number;
}

export class JobQueue {
  private heap: Entry[] = [];
  private readonly due = new Map<string, number>();

  /** Number of ids queued. */
  get size(): number {
    return this.due.size;
  }

  /** Queues `id` to be due at `dueMs` (replacing an earlier due time). */
  set(id: string, dueMs: number): void {
    if (this.due.get(id) === dueMs) return;
    this.due.set(id, dueMs);
    this.push({ id, dueMs });
  }

  /** Removes `id` (no-op when absent). */
  delete(id: string): void {
    this.due.delete(id);
  }

  has(id: string): boolean {
    return this.due.has(id);
  }

  /** The earliest due time, or null when empty. */
  nextDueMs(): number | null {
    this.dropStale();
    return this.heap[0]?.dueMs ?? null;
  }

  /** Removes and returns the earliest id due at or before `nowMs`, or null. */
  popDue(nowMs: number): string | null {
    this.dropStale();
    const top = this.heap[0];
    if (top === undefined || top.dueMs > nowMs) return null;
    this.pop();
    this.due.delete(top.id);
    return top.id;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.heap[0];
      if (top === undefined || this.due.get(top.id) === top.dueMs) return;
      this.pop();
    }
  }

  private push(entry: Entry): void {
    const heap = this.heap;
    heap.push(entry);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i] as Entry, heap[parent] as Entry)) break;
      [heap[i], heap[parent]] = [heap[parent] as Entry, heap[i] as Entry];
      i = parent;
    }
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    heap[0] = last;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let smallest = i;
      if (left < heap.length && before(heap[left] as Entry, heap[smallest] as Entry))
        smallest = left;
      if (right < heap.length && before(heap[right] as Entry, heap[smallest] as Entry))
        smallest = right;
      if (smallest === i) return;
      [heap[i], heap[smallest]] = [heap[smallest] as Entry, heap[i] as Entry];
      i = smallest;
    }
  }
}

/** Earlier due time first; ties in id order, so the order is deterministic. */
function before(a: Entry, b: Entry): boolean {
  return a.dueMs < b.dueMs || (a.dueMs === b.dueMs && a.id < b.id);
}
