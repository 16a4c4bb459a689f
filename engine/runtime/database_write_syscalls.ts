/**
 * The database writes `convex/server` makes for `ctx.db`: `insert`, `patch` (a shallow merge),
 * `replace` and `delete`, buffered in the transaction until it commits. System fields (`_id`,
 * `_creationTime`) are the database's: a write may repeat them unchanged, never change them.
 */
import { jsonToConvex, type Value } from "convex/values";
import { FunctionFailure } from "../errors.ts";
import type { DocumentValue, StoredDocument } from "../storage/types.ts";
import type { Transaction } from "../transactions/transaction.ts";
import { SYSTEM_FIELDS, userFieldsOf } from "../values/limits.ts";
import { resolveId } from "./database_syscalls.ts";
import { transaction, type AsyncHandler, type SyscallArgs } from "./syscall_guards.ts";

/** Decodes a convex-encoded JSON object into a document value, rejecting non-objects. */
export function decodeDocumentFields(json: unknown): DocumentValue {
  const value = jsonToConvex(json as never);
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    value instanceof ArrayBuffer
  ) {
    throw new FunctionFailure("A document must be an object.");
  }
  return value as DocumentValue;
}

function existing(
  tx: Transaction,
  args: SyscallArgs,
  op: string,
): { id: string; table: string; current: StoredDocument } {
  const resolved = resolveId(tx, args, op);
  if (resolved === null) {
    throw new FunctionFailure(
      `Invalid argument \`id\` for \`db.${op}\`: "${String(args["id"])}" is not a valid document id.`,
    );
  }
  const current = tx.get(resolved.id, resolved.table);
  if (current === null) {
    const verb = op === "delete" ? "Delete" : op === "patch" ? "Update" : "Replace";
    throw new FunctionFailure(`${verb} on nonexistent document ID ${resolved.id}`);
  }
  return { ...resolved, current };
}

function checkUserFields(fields: Record<string, Value>, op: string): void {
  for (const key of Object.keys(fields)) {
    if (key.startsWith("_") && !SYSTEM_FIELDS.has(key)) {
      throw new FunctionFailure(
        `Failed to ${op}: field "${key}" starts with an underscore, which is reserved for system fields.`,
      );
    }
  }
}

function stripSystemFields(
  fields: Record<string, Value>,
  current: StoredDocument,
  op: string,
): Record<string, Value> {
  const result: Record<string, Value> = {};
  for (const [key, value] of Object.entries(fields)) {
    if (SYSTEM_FIELDS.has(key)) {
      const existingValue = current.value[key];
      if (value !== existingValue) {
        throw new FunctionFailure(
          `Failed to ${op} document ${current.id}: system field "${key}" cannot be changed (it is ${JSON.stringify(existingValue)}).`,
        );
      }
      continue;
    }
    result[key] = value;
  }
  return result;
}

/** `db.patch`: a shallow merge; `{$undefined: null}` removes a field. */
function shallowMergeSyscall(args: SyscallArgs): string {
  const tx = transaction("db.patch");
  const { id, table, current } = existing(tx, args, "patch");
  const patch = args["value"] as Record<string, unknown>;
  const fields = userFieldsOf(current.value);
  for (const [key, json] of Object.entries(patch ?? {})) {
    const isRemoval =
      typeof json === "object" &&
      json !== null &&
      Object.keys(json).length === 1 &&
      "$undefined" in json;
    if (SYSTEM_FIELDS.has(key)) {
      stripSystemFields(
        { [key]: isRemoval ? (undefined as never) : jsonToConvex(json as never) },
        current,
        "patch",
      );
      continue;
    }
    if (isRemoval) delete fields[key];
    else fields[key] = jsonToConvex(json as never);
  }
  checkUserFields(fields, "patch");
  return tx.replace(id, table, current, fields).json;
}

/** The writes: `db.insert`, `db.patch`, `db.replace`, `db.delete`. */
export function databaseWriteSyscalls(): Record<string, AsyncHandler> {
  return {
    "1.0/insert": (args) => {
      const tx = transaction("db.insert");
      const table = args["table"];
      if (typeof table !== "string") throw new FunctionFailure("db.insert expects a table name.");
      if (table.startsWith("_"))
        throw new FunctionFailure(`System tables (prefixed with \`_\`) are read-only.`);
      const fields = decodeDocumentFields(args["value"]);
      checkUserFields(fields, "insert");
      if (Object.keys(fields).some((key) => SYSTEM_FIELDS.has(key))) {
        throw new FunctionFailure(
          "Failed to insert: the system fields _id and _creationTime are set by the database.",
        );
      }
      return JSON.stringify({ _id: tx.insert(table, fields) });
    },
    "1.0/shallowMerge": shallowMergeSyscall,
    "1.0/replace": (args) => {
      const tx = transaction("db.replace");
      const { id, table, current } = existing(tx, args, "replace");
      const fields = stripSystemFields(decodeDocumentFields(args["value"]), current, "replace");
      checkUserFields(fields, "replace");
      return tx.replace(id, table, current, fields).json;
    },
    "1.0/remove": (args) => {
      const tx = transaction("db.delete");
      const { id, table, current } = existing(tx, args, "delete");
      tx.delete(id, table, current);
      return current.json;
    },
  };
}
