/**
 * Convex's value limits, enforced with the backend's numbers and wording.
 *
 * The stories walk a document through each rule: field names, reserved top-level fields, array
 * length, field count, nesting, and size, each right at its limit (accepted) and one past it
 * (refused, with the message and the path). Size accounting is checked against `getConvexSize`
 * from `convex/values`, the client's copy of the backend's formula.
 */
import { CommitTsPlaceholder, getConvexSize, type Value } from "convex/values";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_ARRAY_LENGTH,
  MAX_DOCUMENT_NESTING,
  MAX_DOCUMENT_SIZE,
  MAX_FIELD_NAME_LENGTH,
  MAX_FUNCTION_ARGS_SIZE,
  MAX_FUNCTION_RESULT_SIZE,
  MAX_OBJECT_FIELDS,
  MAX_VALUE_NESTING,
  MAX_VALUE_SIZE,
  SYSTEM_FIELDS,
  argsSize,
  checkArgsSize,
  checkDocument,
  checkFieldName,
  checkResultSize,
  checkValue,
  formatBinarySize,
  valueNesting,
  valueSize,
} from "../../../engine/values/limits.ts";

/** `depth` levels of objects: { n: { n: ... { n: 1 } } }; nesting equals `depth`. */
function nestedObject(depth: number): Value {
  let value: Value = 1;
  for (let i = 0; i < depth; i += 1) {
    value = { n: value };
  }
  return value;
}

/** Fields f0000..f{count-1}, each null. */
function objectWithFields(count: number): Record<string, Value> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, i) => [`f${String(i).padStart(4, "0")}`, null]),
  );
}

describe("the limits", () => {
  it("are Convex's numbers", () => {
    expect(MAX_FIELD_NAME_LENGTH).toBe(1024);
    expect(MAX_DOCUMENT_NESTING).toBe(16);
    expect(MAX_VALUE_NESTING).toBe(64);
    expect(MAX_ARRAY_LENGTH).toBe(8192);
    expect(MAX_OBJECT_FIELDS).toBe(1024);
    expect(MAX_DOCUMENT_SIZE).toBe(1_048_576);
    expect(MAX_VALUE_SIZE).toBe(32 * 1_048_576);
    expect(MAX_FUNCTION_ARGS_SIZE).toBe(16 * 1_048_576);
    expect(MAX_FUNCTION_RESULT_SIZE).toBe(16 * 1_048_576);
    expect([...SYSTEM_FIELDS]).toEqual(["_id", "_creationTime"]);
  });
});

describe("size accounting", () => {
  it("counts a tag byte per value and a terminator per string, bytes, array and object", () => {
    expect(valueSize(null)).toBe(1);
    expect(valueSize(true)).toBe(1);
    expect(valueSize(1n)).toBe(9);
    expect(valueSize(1.5)).toBe(9);
    expect(valueSize("abc")).toBe(5);
    expect(valueSize("é")).toBe(4); // two UTF-8 bytes
    expect(valueSize(new ArrayBuffer(10))).toBe(12);
    expect(valueSize([1n, null])).toBe(2 + 9 + 1);
    // Object: 2, then per field its name, a separator byte and the value.
    expect(valueSize({ ab: 1n })).toBe(2 + 2 + 1 + 9);
    expect(valueSize({ ab: 1n, gone: undefined })).toBe(14);
    expect(valueSize(new CommitTsPlaceholder())).toBe(9);
  });

  it("arguments are measured as the array the backend receives: [args]", () => {
    expect(argsSize({})).toBe(4);
  });

  it("agrees with getConvexSize from convex/values on arbitrary values", () => {
    const { value } = fc.letrec<{ value: Value }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.constant(null),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        fc.double(),
        fc.boolean(),
        fc.string({ unit: "binary", maxLength: 8 }),
        fc.uint8Array({ maxLength: 8 }).map((array): Value => array.slice().buffer),
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.string({ unit: "grapheme-ascii", maxLength: 5 }), tie("value"), {
          maxKeys: 3,
        }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        expect(valueSize(v)).toBe(getConvexSize(v));
      }),
    );
  });

  it("nesting is 0 for scalars and 1 + the deepest child for containers", () => {
    expect(valueNesting("x")).toBe(0);
    expect(valueNesting([])).toBe(1);
    expect(valueNesting({ a: [[1]], b: {} })).toBe(3);
  });

  it("formats sizes like the backend's messages (humansize, binary units)", () => {
    expect(formatBinarySize(512)).toBe("512 B");
    expect(formatBinarySize(1024)).toBe("1 KiB");
    expect(formatBinarySize(1536)).toBe("1.50 KiB");
    expect(formatBinarySize(MAX_DOCUMENT_SIZE)).toBe("1 MiB");
    // One byte over still shows two decimals: the fraction is not zero.
    expect(formatBinarySize(MAX_DOCUMENT_SIZE + 1)).toBe("1.00 MiB");
    expect(formatBinarySize(16 * 1_048_576)).toBe("16 MiB");
    // 1.125 KiB is an exact tie at two decimals: Rust rounds it to even.
    expect(formatBinarySize(1152)).toBe("1.12 KiB");
    expect(formatBinarySize(1_048_576 * 1.5 + 5242)).toBe("1.50 MiB");
    expect(formatBinarySize(1_048_576 * 1.5 + 5243)).toBe("1.51 MiB");
  });
});

describe("field names", () => {
  it("accepts printable ASCII up to 1024 chars, the empty name included", () => {
    expect(checkFieldName("dish_name 2")).toBeNull();
    expect(checkFieldName("")).toBeNull();
    expect(checkFieldName("x".repeat(1024))).toBeNull();
  });

  it("refuses names with the wording of convex/values", () => {
    expect(checkFieldName("$foo")).toBe("Field name $foo starts with a '$', which is reserved.");
    expect(checkFieldName("x".repeat(1025))).toBe(
      `Field name ${"x".repeat(1025)} exceeds maximum field name length 1024.`,
    );
    expect(checkFieldName("café")).toBe(
      "Field name café has invalid character 'é': Field names can only contain non-control ASCII characters",
    );
    expect(checkFieldName("a\nb")).toMatch(/^Field name a\nb has invalid character '\n'/);
  });
});

describe("checkDocument", () => {
  it("accepts an ordinary document, system fields included", () => {
    expect(
      checkDocument({ _id: "abc", _creationTime: 1.5, dish: "pizza", items: [{ _note: 1 }] }),
    ).toBeNull();
  });

  it("refuses anything but an object", () => {
    expect(checkDocument([1])).toBe("Documents must be objects");
    expect(checkDocument("pizza")).toBe("Documents must be objects");
  });

  it("refuses a top-level field starting with _ other than the system fields", () => {
    expect(checkDocument({ _secret: 1 })).toBe(
      "Field '_secret' starts with an underscore, which is only allowed for system fields like '_id'",
    );
    // Deeper down, _ is an ordinary first char.
    expect(checkDocument({ nested: { _secret: 1 } })).toBeNull();
  });

  it("refuses a reserved field name anywhere, naming the path", () => {
    expect(checkDocument({ order: { items: [{ $price: 1 }] } })).toBe(
      "Field name $price starts with a '$', which is reserved.\nPath: .order.items[0]",
    );
    expect(checkDocument({ $top: 1 })).toBe(
      "Field name $top starts with a '$', which is reserved.",
    );
  });

  it("allows 16 levels of nesting and refuses 17", () => {
    expect(checkDocument(nestedObject(16))).toBeNull();
    expect(checkDocument(nestedObject(17))).toBe(
      "Document is too nested (nested 17 levels deep > maximum nesting 16)",
    );
  });

  it("allows 8192 array elements and refuses 8193", () => {
    expect(checkDocument({ list: new Array<Value>(8192).fill(null) })).toBeNull();
    expect(checkDocument({ list: new Array<Value>(8193).fill(null) })).toBe(
      "Array length is too long (8193 > maximum length 8192)\nPath: .list",
    );
  });

  it("allows 1024 fields and refuses 1025", () => {
    expect(checkDocument({ fields: objectWithFields(1024) })).toBeNull();
    expect(checkDocument({ fields: objectWithFields(1025) })).toBe(
      "Object has too many fields (1025 > maximum number 1024)\nPath: .fields",
    );
  });

  it("allows exactly 1 MiB and refuses one byte more", () => {
    // 2 (object) + 1 (name "s") + 1 (separator) + 2 (string) + length.
    const exactly = { s: "x".repeat(MAX_DOCUMENT_SIZE - 6) };
    expect(valueSize(exactly)).toBe(MAX_DOCUMENT_SIZE);
    expect(checkDocument(exactly)).toBeNull();
    expect(checkDocument({ s: "x".repeat(MAX_DOCUMENT_SIZE - 5) })).toBe(
      "Value is too large (1.00 MiB > maximum size 1 MiB)",
    );
  });

  it("ignores fields set to undefined, as Convex drops them", () => {
    expect(checkDocument({ $gone: undefined, _gone: undefined, dish: "x" })).toBeNull();
  });
});

describe("checkValue", () => {
  it("allows 64 levels by default and refuses 65, naming the container that went too deep", () => {
    expect(checkValue(nestedObject(64))).toBeNull();
    // The innermost object is the first to exceed, as when the backend builds the value.
    expect(checkValue({ outer: nestedObject(65) })).toBe(
      "Value is too nested (nested 65 levels deep > maximum nesting 64)\nPath: .outer",
    );
  });

  it("takes its limits as options", () => {
    expect(checkValue([[1]], { maxDepth: 1 })).toBe(
      "Value is too nested (nested 2 levels deep > maximum nesting 1)",
    );
    expect(checkValue("abcd", { maxSize: 5 })).toBe("Value is too large (6 B > maximum size 5 B)");
    expect(checkValue({ a: "abcd" }, { maxSize: 5 })).toBe(
      "Value is too large (6 B > maximum size 5 B)\nPath: .a",
    );
  });

  it("refuses what is not a Convex value", () => {
    expect(checkValue([1, undefined])).toBe(
      "undefined is not a valid Convex value. To learn about Convex's supported types, see https://docs.convex.dev/using/types.\nPath: [1]",
    );
    expect(checkValue({ big: 2n ** 63n })).toBe(
      "BigInt 9223372036854775808 does not fit into a 64-bit signed integer.\nPath: .big",
    );
    expect(checkValue({ m: new Map() })).toBe("Map is not a supported Convex type.\nPath: .m");
    expect(checkValue(new Date(0))).toBe("Date instance is not a supported Convex type.");
    expect(checkValue(() => 1)).toBe("[Function] is not a supported Convex type.");
  });

  it("accepts every kind of Convex value", () => {
    const value: Value = [null, 1n, -0, Number.NaN, true, "é", new ArrayBuffer(1), { a: [] }];
    expect(checkValue(value)).toBeNull();
    expect(checkValue(Object.create(null) as Value)).toBeNull();
  });
});

describe("function arguments and results", () => {
  it("allow 16 MiB and refuse more, with the backend's message", () => {
    const big = "x".repeat(MAX_FUNCTION_ARGS_SIZE);
    expect(checkArgsSize("orders:place", { note: "short" })).toBeNull();
    expect(checkArgsSize("orders:place", { note: big })).toBe(
      "Arguments for orders:place are too large (actual: 16.00 MiB, limit: 16 MiB)",
    );
    expect(checkResultSize("orders:list", "short")).toBeNull();
    expect(checkResultSize("orders:list", big)).toBe(
      "Function orders:list return value is too large (actual: 16.00 MiB, limit: 16 MiB)",
    );
  });
});
