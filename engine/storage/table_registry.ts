/**
 * Table names and numbers. A table's number is part of every document id (as in Convex's id
 * format), so numbers are allocated once, persisted before use, and never reused.
 */
import type { Persistence } from "./persistence.ts";

/** Convex numbers user tables from 10001 on. */
const FIRST_USER_TABLE_NUMBER = 10_001;

export class TableRegistry {
  private readonly numberByName: Map<string, number>;
  private readonly nameByNumber = new Map<number, string>();
  /** Per table, the last `_creationTime` handed out. */
  private readonly lastCreationTime = new Map<string, number>();

  constructor(private readonly persistence: Persistence) {
    this.numberByName = persistence.tableNumbers();
    for (const [name, number] of this.numberByName) this.nameByNumber.set(number, name);
  }

  /** The table's number, allocating (and persisting) one for a new table. */
  numberOf(name: string): number {
    const existing = this.numberByName.get(name);
    if (existing !== undefined) return existing;
    let next = FIRST_USER_TABLE_NUMBER;
    for (const number of this.nameByNumber.keys()) if (number >= next) next = number + 1;
    this.persistence.addTable(name, next);
    this.numberByName.set(name, next);
    this.nameByNumber.set(next, name);
    return next;
  }

  /**
   * A `_creationTime` for a new document of `table` at `nowMs`: creation times strictly increase
   * per table (by a microsecond when the clock has not moved).
   */
  nextCreationTime(table: string, nowMs: number): number {
    const previous = this.lastCreationTime.get(table) ?? 0;
    const creationTime = nowMs > previous ? nowMs : previous + 0.001;
    this.lastCreationTime.set(table, creationTime);
    return creationTime;
  }

  /** The table's number if it exists. */
  existingNumberOf(name: string): number | undefined {
    return this.numberByName.get(name);
  }

  /** The name of table number `number`, or null. */
  nameOf(number: number): string | null {
    return this.nameByNumber.get(number) ?? null;
  }
}
