/**
 * Validators are checked the way the Convex backend checks them, and failures read the way its
 * messages read, so an app sees the same `ArgumentValidationError` here as on a real deployment.
 *
 * Validators come from the real `v` builders of `convex/values` (their `json` form, which is what
 * `exportArgs()` holds), never hand-written JSON, so the input shape is the real one.
 *
 * The stories: a restaurant app with `orders` (table 10001) and `users` (10002) and the system
 * table `_storage` (1). Each story sends one wrong value and reads the whole message.
 */
import { randomBytes } from "node:crypto";
import {
  CommitTsPlaceholder,
  v,
  type GenericValidator,
  type ValidatorJSON,
  type Value,
} from "convex/values";
import { describe, expect, it } from "vitest";
import { decodeDocumentId, generateDocumentId } from "../../../engine/values/document_id.ts";
import {
  argumentValidationMessage,
  formatValidator,
  formatValue,
  returnsValidationMessage,
  schemaValidationMessage,
  validateArgs,
  validateDocument,
  validateValue,
  type ValidationFailure,
} from "../../../engine/values/validate.ts";

const TABLES = new Map([
  [10_001, "orders"],
  [10_002, "users"],
  [1, "_storage"],
]);

/** Resolves ids the way the engine will: decode, then look the table number up. */
const options = {
  tableNameOfId(id: string): string | null {
    const decoded = decodeDocumentId(id);
    return decoded === null ? null : (TABLES.get(decoded.tableNumber) ?? null);
  },
};

const orderId = generateDocumentId(10_001, randomBytes(16));
const userId = generateDocumentId(10_002, randomBytes(16));
const storageId = generateDocumentId(1, randomBytes(16));

/**
 * A validator's JSON form: its `json` getter, which `exportArgs()` and `exportReturns()` serialize
 * (the getter is marked internal in the package's types, hence the cast).
 */
function json(validator: GenericValidator): ValidatorJSON {
  return (validator as unknown as { json: ValidatorJSON }).json;
}

/** The failure, asserting there is one. */
function fail(validator: GenericValidator, value: Value | undefined): ValidationFailure {
  const failure = validateValue(json(validator), value, options);
  expect(failure).not.toBeNull();
  return failure!;
}

function ok(validator: GenericValidator, value: Value | undefined): void {
  expect(validateValue(json(validator), value, options)).toBeNull();
}

const orderArgs = v.object({ dish: v.string(), notes: v.optional(v.string()), table: v.number() });

describe("messages, word for word", () => {
  it("a value of the wrong type: Value does not match validator, with the path", () => {
    const failure = fail(orderArgs, { dish: "pizza", table: "x" });
    expect(failure.kind).toBe("NoMatch");
    expect(failure.path).toBe(".table");
    expect(failure.message).toBe(
      'Value does not match validator.\nPath: .table\nValue: "x"\nValidator: v.float64()',
    );
  });

  it("at the top level the path line is empty, as the backend prints it", () => {
    expect(fail(v.string(), 3).message).toBe(
      "Value does not match validator.\n\nValue: 3.0\nValidator: v.string()",
    );
  });

  it("a missing required field names the field and suggests v.optional", () => {
    const failure = fail(orderArgs, { notes: "no onions", table: 4 });
    expect(failure.kind).toBe("MissingRequiredField");
    expect(failure.message).toBe(
      "Object is missing the required field `dish`. Consider wrapping the field validator in " +
        "`v.optional(...)` if this is expected.\n" +
        "\n" +
        'Object: {notes: "no onions", table: 4.0}\n' +
        "Validator: v.object({dish: v.string(), notes: v.optional(v.string()), table: v.float64()})",
    );
  });

  it("an extra field is reported after every declared field checks out", () => {
    const failure = fail(orderArgs, { dish: "pizza", table: 4, foo: true });
    expect(failure.kind).toBe("ExtraField");
    expect(failure.message).toBe(
      "Object contains extra field `foo` that is not in the validator.\n" +
        "\n" +
        'Object: {dish: "pizza", foo: true, table: 4.0}\n' +
        "Validator: v.object({dish: v.string(), notes: v.optional(v.string()), table: v.float64()})",
    );
    // A wrong declared field wins over an extra one: declared fields are checked first.
    expect(fail(orderArgs, { dish: 1, table: 4, foo: true }).kind).toBe("NoMatch");
  });

  it("fields are checked in name order, so the first failure is the smallest name", () => {
    const validator = v.object({ b: v.string(), a: v.string() });
    expect(fail(validator, { a: 1, b: 2 }).path).toBe(".a");
  });

  it("a nested failure carries the whole path inside the message", () => {
    const validator = v.object({ items: v.array(v.object({ dish: v.string() })) });
    const failure = fail(validator, { items: [{ dish: "a" }, { dish: "b" }, { dish: null }] });
    expect(failure.path).toBe(".items[2].dish");
    expect(failure.message).toBe(
      "Value does not match validator.\nPath: .items[2].dish\nValue: null\nValidator: v.string()",
    );
  });

  it("a literal mismatch quotes both sides, with the path glued after the period", () => {
    expect(fail(v.literal("pending"), "done").message).toBe(
      '`"done"` does not match literal validator `v.literal("pending")`.',
    );
    const failure = fail(v.object({ status: v.literal("pending") }), { status: "done" });
    expect(failure.kind).toBe("LiteralValuesDoNotMatch");
    expect(failure.message).toBe(
      '`"done"` does not match literal validator `v.literal("pending")`.Path: .status',
    );
  });

  it("an id of another table names that table", () => {
    const failure = fail(v.object({ order: v.id("orders") }), { order: userId });
    expect(failure.kind).toBe("TableNamesDoNotMatch");
    expect(failure.message).toBe(
      `Found ID "${userId}" from table \`users\`, which does not match the table name in validator ` +
        '`v.id("orders")`.Path: .order',
    );
  });

  it("an id of a system table does not name it", () => {
    const failure = fail(v.id("orders"), storageId);
    expect(failure.kind).toBe("SystemTableReference");
    expect(failure.message).toBe(
      `Found ID "${storageId}" from a system table, which does not match the table name in ` +
        'validator `v.id("orders")`.',
    );
  });

  it("a string that is not an id (or of an unknown table) simply does not match", () => {
    expect(fail(v.id("orders"), "not-an-id").message).toBe(
      'Value does not match validator.\n\nValue: "not-an-id"\nValidator: v.id("orders")',
    );
    expect(fail(v.id("orders"), generateDocumentId(777, randomBytes(16))).kind).toBe("NoMatch");
    ok(v.id("orders"), orderId);
  });

  it("the three wrappers the backend puts around a failure", () => {
    const failure = fail(orderArgs, { dish: "pizza", table: "x" });
    expect(argumentValidationMessage(failure)).toBe(
      'ArgumentValidationError: Value does not match validator.\nPath: .table\nValue: "x"\nValidator: v.float64()',
    );
    expect(returnsValidationMessage(failure)).toBe(`ReturnsValidationError: ${failure.message}`);
    expect(schemaValidationMessage("orders", failure)).toBe(
      'Failed to insert or update a document in table "orders" because it does not match the ' +
        `schema: ${failure.message}`,
    );
  });
});

describe("types, the way Convex sees them", () => {
  it("int64 and float64 are different types", () => {
    ok(v.int64(), 3n);
    ok(v.number(), 3);
    expect(fail(v.int64(), 3).message).toBe(
      "Value does not match validator.\n\nValue: 3.0\nValidator: v.int64()",
    );
    expect(fail(v.float64(), 3n).message).toBe(
      "Value does not match validator.\n\nValue: 3\nValidator: v.float64()",
    );
  });

  it("v.number() accepts every float64, NaN, infinities and -0 included", () => {
    for (const x of [Number.NaN, Infinity, -Infinity, -0, 1e308]) {
      ok(v.number(), x);
    }
  });

  it("literals compare in Convex's order: 3n is not 3, -0 is not 0, NaN is NaN", () => {
    ok(v.literal(3n), 3n);
    expect(fail(v.literal(3n), 3).message).toBe(
      "`3.0` does not match literal validator `v.literal(<bigint>)`.",
    );
    expect(fail(v.literal(0), -0).message).toBe(
      "`-0.0` does not match literal validator `v.literal(0.0)`.",
    );
    ok(v.literal(Number.NaN), Number.NaN);
  });

  it("v.any() accepts everything, v.null() only null, v.bytes() only ArrayBuffers", () => {
    ok(v.any(), { deep: [new ArrayBuffer(2), 1n] });
    ok(v.null(), null);
    expect(fail(v.null(), false).kind).toBe("NoMatch");
    ok(v.bytes(), new ArrayBuffer(3));
    expect(fail(v.bytes(), [1, 2, 3]).kind).toBe("NoMatch");
  });

  it("an unresolved commit timestamp validates as an int64", () => {
    ok(v.int64(), new CommitTsPlaceholder());
    expect(fail(v.string(), new CommitTsPlaceholder()).message).toContain(
      "Value: 9223372036854775807",
    );
  });

  it("a field set to undefined is missing; a top-level undefined is null", () => {
    expect(fail(orderArgs, { dish: undefined, table: 1 }).kind).toBe("MissingRequiredField");
    ok(v.object({ notes: v.optional(v.string()) }), { notes: undefined });
    ok(v.null(), undefined);
    expect(fail(v.string(), undefined).message).toContain("Value: null");
  });

  it("inherited names are not fields: a 'constructor' field is missing on a plain object", () => {
    expect(fail(v.object({ constructor: v.string() }), {}).kind).toBe("MissingRequiredField");
  });
});

describe("unions, arrays and records", () => {
  it("a union that matches nothing is reported whole", () => {
    const status = v.union(v.literal("pending"), v.literal("done"));
    ok(status, "done");
    expect(fail(status, "lost").message).toBe(
      'Value does not match validator.\n\nValue: "lost"\nValidator: v.union(v.literal("pending"), v.literal("done"))',
    );
  });

  it("a union of one validator reports that validator's own failure", () => {
    const failure = fail(v.union(v.object({ a: v.string() })), {});
    expect(failure.kind).toBe("MissingRequiredField");
  });

  it("an empty union matches nothing", () => {
    expect(fail(v.union(), null).message).toBe(
      "Value does not match validator.\n\nValue: null\nValidator: v.union()",
    );
  });

  it("array elements are reported by index", () => {
    const failure = fail(v.array(v.int64()), [1n, 2n, 3]);
    expect(failure.path).toBe("[2]");
    expect(failure.message).toBe(
      "Value does not match validator.\nPath: [2]\nValue: 3.0\nValidator: v.int64()",
    );
  });

  it("record keys are reported at .keys(), values at .values()", () => {
    const seats = v.record(v.id("users"), v.number());
    ok(seats, { [userId]: 2 });
    const badKey = fail(seats, { [orderId]: 2 });
    expect(badKey.path).toBe(".keys()");
    expect(badKey.kind).toBe("TableNamesDoNotMatch");
    const badValue = fail(seats, { [userId]: "two" });
    expect(badValue.message).toBe(
      'Value does not match validator.\nPath: .values()\nValue: "two"\nValidator: v.float64()',
    );
  });
});

describe("arguments, documents and returns", () => {
  it("arguments that are not an object are refused before any field is checked", () => {
    const failure = validateArgs(json(orderArgs), "pizza", options);
    expect(failure?.message).toBe(
      'Expected to receive an object as the function\'s argument. Instead received: "pizza"',
    );
    expect(argumentValidationMessage(failure!)).toMatch(/^ArgumentValidationError: Expected/);
  });

  it("an args validator of v.any() (no `args` declared) accepts anything", () => {
    expect(validateArgs(json(v.any()), "pizza", options)).toBeNull();
    expect(validateArgs(json(orderArgs), { dish: "pizza", table: 1 }, options)).toBeNull();
  });

  it("a document is validated without its system fields", () => {
    const documentType = json(v.object({ dish: v.string() }));
    const stored = { _id: orderId, _creationTime: 1_700_000_000_000.5, dish: "pizza" };
    expect(validateDocument(documentType, stored, options)).toBeNull();
    const failure = validateDocument(documentType, { ...stored, dish: 3 }, options);
    expect(schemaValidationMessage("orders", failure!)).toBe(
      'Failed to insert or update a document in table "orders" because it does not match the schema: ' +
        "Value does not match validator.\nPath: .dish\nValue: 3.0\nValidator: v.string()",
    );
  });

  it("a union of document shapes reports the whole union", () => {
    const documentType = json(
      v.union(
        v.object({ kind: v.literal("dine-in"), table: v.number() }),
        v.object({ kind: v.literal("delivery"), address: v.string() }),
      ),
    );
    const failure = validateDocument(documentType, { kind: "delivery", table: 3 }, options);
    expect(failure?.message).toBe(
      "Value does not match validator.\n\n" +
        'Value: {kind: "delivery", table: 3.0}\n' +
        'Validator: v.union(v.object({kind: v.literal("dine-in"), table: v.float64()}), ' +
        'v.object({address: v.string(), kind: v.literal("delivery")}))',
    );
  });
});

describe("formatValidator", () => {
  it("prints what Convex's own display test pins", () => {
    expect(formatValidator(json(v.id("tableName")))).toBe('v.id("tableName")');
    expect(formatValidator(json(v.literal(123)))).toBe("v.literal(123.0)");
    expect(formatValidator(json(v.literal(123n)))).toBe("v.literal(<bigint>)");
    expect(formatValidator(json(v.literal("abc")))).toBe('v.literal("abc")');
    expect(formatValidator(json(v.literal(true)))).toBe("v.literal(true)");
    expect(formatValidator(json(v.array(v.string())))).toBe("v.array(v.string())");
    expect(
      formatValidator(json(v.object({ required: v.string(), optional: v.optional(v.float64()) }))),
    ).toBe("v.object({optional: v.optional(v.float64()), required: v.string()})");
    expect(formatValidator(json(v.union(v.string(), v.float64())))).toBe(
      "v.union(v.string(), v.float64())",
    );
  });

  it("prints the remaining kinds", () => {
    expect(formatValidator(json(v.record(v.string(), v.int64())))).toBe(
      "v.record(v.string(), v.int64())",
    );
    expect(formatValidator(json(v.object({})))).toBe("v.object({})");
    expect(formatValidator(json(v.bytes()))).toBe("v.bytes()");
    expect(formatValidator(json(v.any()))).toBe("v.any()");
    expect(formatValidator(json(v.null()))).toBe("v.null()");
    expect(formatValidator(json(v.boolean()))).toBe("v.boolean()");
    // Float literals use serde_json's notation; NaN and infinities have none.
    expect(formatValidator(json(v.literal(1e-5)))).toBe("v.literal(0.00001)");
    expect(formatValidator(json(v.literal(1e21)))).toBe("v.literal(1e21)");
    expect(formatValidator(json(v.literal(Infinity)))).toBe("v.literal(<number>)");
  });
});

describe("formatValue", () => {
  it("prints float64 like Rust's {:?}: always a fraction or an exponent", () => {
    const printed = [
      3,
      -2.5,
      0.1,
      -0,
      1e15,
      1e16,
      1e-4,
      1e-5,
      5e-324,
      Number.NaN,
      Infinity,
      -Infinity,
    ];
    expect(printed.map((x) => formatValue(x))).toEqual([
      "3.0",
      "-2.5",
      "0.1",
      "-0.0",
      "1000000000000000.0",
      "1e16",
      "0.0001",
      "1e-5",
      "5e-324",
      "NaN",
      "inf",
      "-inf",
    ]);
  });

  it('prints int64 as plain digits, bytes as b"base64", strings escaped like Rust', () => {
    expect(formatValue(-42n)).toBe("-42");
    expect(formatValue(Uint8Array.from([1, 2]).buffer)).toBe('b"AQI="');
    expect(formatValue('say "hi"\n\t\\')).toBe('"say \\"hi\\"\\n\\t\\\\"');
    // Control and invisible chars become \u{..}; printable non-ASCII stays as is.
    expect(formatValue("\u0007\u200bé🎉'")).toBe('"\\u{7}\\u{200b}é🎉\'"');
  });

  it("prints containers with sorted fields and no quotes around names", () => {
    expect(formatValue({ b: [1, true], a: null, skip: undefined })).toBe(
      "{a: null, b: [1.0, true]}",
    );
    expect(formatValue([])).toBe("[]");
    expect(formatValue({})).toBe("{}");
  });
});
