/**
 * An augmented interval tree (a treap ordered by interval start, each node holding the largest
 * end in its subtree) mapping half-open key intervals to values. Stabbing with a key returns
 * every value whose interval contains it in O(log n + k) expected time; insert and delete are
 * O(log n) expected. Keys are latin1 byte strings; an unbounded end is stored as `UNBOUNDED`,
 * which sorts above every key.
 */
import type { IndexKey } from "../values/index_key.ts";
import type { Interval } from "../transactions/interval_set.ts";

/** Greater than every index key (their chars are all <= 0xff). */
const UNBOUNDED = "\u0100";

interface Node<V> {
  start: IndexKey;
  end: IndexKey;
  /** Tie-breaker so equal starts stay distinct and deletable. */
  seq: number;
  value: V;
  priority: number;
  maxEnd: IndexKey;
  left: Node<V> | null;
  right: Node<V> | null;
}

/** Handle returned by `insert`, needed to delete the entry. */
export interface IntervalEntry {
  readonly start: IndexKey;
  readonly seq: number;
}

function maxOf(a: IndexKey, b: IndexKey): IndexKey {
  return a > b ? a : b;
}

function update<V>(node: Node<V>): void {
  let maxEnd = node.end;
  if (node.left !== null) maxEnd = maxOf(maxEnd, node.left.maxEnd);
  if (node.right !== null) maxEnd = maxOf(maxEnd, node.right.maxEnd);
  node.maxEnd = maxEnd;
}

function before(aStart: IndexKey, aSeq: number, bStart: IndexKey, bSeq: number): boolean {
  return aStart < bStart || (aStart === bStart && aSeq < bSeq);
}

function rotateRight<V>(node: Node<V>): Node<V> {
  const pivot = node.left as Node<V>;
  node.left = pivot.right;
  pivot.right = node;
  update(node);
  update(pivot);
  return pivot;
}

function rotateLeft<V>(node: Node<V>): Node<V> {
  const pivot = node.right as Node<V>;
  node.right = pivot.left;
  pivot.left = node;
  update(node);
  update(pivot);
  return pivot;
}

function insertNode<V>(root: Node<V> | null, node: Node<V>): Node<V> {
  if (root === null) return node;
  if (before(node.start, node.seq, root.start, root.seq)) {
    root.left = insertNode(root.left, node);
    if (root.left.priority > root.priority) return rotateRight(root);
  } else {
    root.right = insertNode(root.right, node);
    if (root.right.priority > root.priority) return rotateLeft(root);
  }
  update(root);
  return root;
}

function merge<V>(left: Node<V> | null, right: Node<V> | null): Node<V> | null {
  if (left === null) return right;
  if (right === null) return left;
  if (left.priority > right.priority) {
    left.right = merge(left.right, right);
    update(left);
    return left;
  }
  right.left = merge(left, right.left);
  update(right);
  return right;
}

function deleteNode<V>(root: Node<V> | null, start: IndexKey, seq: number): Node<V> | null {
  if (root === null) return null;
  if (root.start === start && root.seq === seq) return merge(root.left, root.right);
  if (before(start, seq, root.start, root.seq)) root.left = deleteNode(root.left, start, seq);
  else root.right = deleteNode(root.right, start, seq);
  update(root);
  return root;
}

export class IntervalTree<V> {
  private root: Node<V> | null = null;
  private nextSeq = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds `interval` -> `value`; returns the handle to delete it with. */
  insert(interval: Interval, value: V): IntervalEntry {
    const seq = this.nextSeq++;
    const end = interval.end ?? UNBOUNDED;
    this.root = insertNode(this.root, {
      start: interval.start,
      end,
      seq,
      value,
      priority: Math.random(),
      maxEnd: end,
      left: null,
      right: null,
    });
    this.count++;
    return { start: interval.start, seq };
  }

  delete(entry: IntervalEntry): void {
    this.root = deleteNode(this.root, entry.start, entry.seq);
    this.count--;
  }

  /** Calls `visit` with the value of every interval that contains `key`. */
  stab(key: IndexKey, visit: (value: V) => void): void {
    const stack: Node<V>[] = [];
    if (this.root !== null) stack.push(this.root);
    while (stack.length > 0) {
      const node = stack.pop() as Node<V>;
      // No interval in this subtree ends after `key`: nothing here contains it.
      if (node.maxEnd <= key) continue;
      if (node.left !== null) stack.push(node.left);
      // Starts are ordered: the node and its right subtree start after `key` when node.start > key.
      if (node.start <= key) {
        if (key < node.end) visit(node.value);
        if (node.right !== null) stack.push(node.right);
      }
    }
  }
}
