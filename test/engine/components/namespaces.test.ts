/**
 * The pure cores of components, as stories: how a component's table names map to stored names
 * (and back), which stored tables code of a component may reach by id, how syscall arguments and
 * `v.id` validators are rewritten, and how function addresses resolve against the caller.
 */
import type { ValidatorJSON } from "convex/values";
import { describe, expect, it } from "vitest";
import {
  componentOfTable,
  localTableName,
  namespaceSyscallArgs,
  namespaceValidator,
  storedTableName,
  tableVisibleFrom,
} from "../../../engine/components/namespace.ts";
import { functionHandleOf, resolveFunctionAddress } from "../../../engine/components/references.ts";
import { qualifiedPath, splitQualifiedPath } from "../../../engine/components/qualified_path.ts";

describe("table namespaces", () => {
  it("keeps the app's names, prefixes a component's, and never a system table's", () => {
    expect(storedTableName("", "messages")).toBe("messages");
    expect(storedTableName("rateLimiter", "rateLimits")).toBe("rateLimiter/rateLimits");
    // A component of a component: the whole instance path.
    expect(storedTableName("rateLimiter/batchWorker", "batches")).toBe(
      "rateLimiter/batchWorker/batches",
    );
    expect(storedTableName("rateLimiter", "_scheduled_functions")).toBe("_scheduled_functions");
    // ...and back.
    expect(componentOfTable("rateLimiter/batchWorker/batches")).toBe("rateLimiter/batchWorker");
    expect(localTableName("rateLimiter/batchWorker/batches")).toBe("batches");
    expect(componentOfTable("messages")).toBe("");
  });

  it("lets code reach its own tables and the system tables, nothing else", () => {
    expect(tableVisibleFrom("", "messages")).toBe(true);
    expect(tableVisibleFrom("", "counter/counters")).toBe(false);
    expect(tableVisibleFrom("counter", "counter/counters")).toBe(true);
    expect(tableVisibleFrom("counter", "messages")).toBe(false);
    // A parent never reaches its child's tables by id, nor a child its grandchild's.
    expect(tableVisibleFrom("rateLimiter", "rateLimiter/batchWorker/batches")).toBe(false);
    expect(tableVisibleFrom("counter", "_storage")).toBe(true);
  });

  it("rewrites table names in syscall arguments, for components only", () => {
    const insert = { table: "counters", value: { n: 1 } };
    expect(namespaceSyscallArgs("1.0/insert", insert, "")).toBe(insert);
    expect(namespaceSyscallArgs("1.0/insert", insert, "counter")).toEqual({
      table: "counter/counters",
      value: { n: 1 },
    });
    // A system table name stays, so the write is refused as one.
    expect(namespaceSyscallArgs("1.0/insert", { table: "_storage" }, "counter")).toEqual({
      table: "_storage",
    });
    const query = {
      query: {
        source: { type: "IndexRange", indexName: "counters.by_name", range: [], order: null },
        operators: [],
      },
    };
    expect(namespaceSyscallArgs("1.0/queryStream", query, "counter")).toEqual({
      query: {
        source: {
          type: "IndexRange",
          indexName: "counter/counters.by_name",
          range: [],
          order: null,
        },
        operators: [],
      },
    });
    // Syscalls without table names pass through.
    const other = { queryId: 3 };
    expect(namespaceSyscallArgs("1.0/queryStreamNext", other, "counter")).toBe(other);
  });

  it("rewrites every v.id inside a validator", () => {
    const validator = {
      type: "object",
      value: {
        root: { fieldType: { type: "id", tableName: "btreeNode" }, optional: false },
        items: {
          fieldType: { type: "array", value: { type: "id", tableName: "btreeNode" } },
          optional: false,
        },
      },
    } as unknown as ValidatorJSON;
    expect(JSON.stringify(namespaceValidator(validator, "scores"))).toBe(
      JSON.stringify(validator).replaceAll('"btreeNode"', '"scores/btreeNode"'),
    );
    expect(namespaceValidator(validator, "")).toBe(validator);
  });
});

describe("function addresses", () => {
  it("a name is the caller's own function, internal ones included", () => {
    expect(resolveFunctionAddress("counter", { name: "lib:add" })).toEqual({
      componentPath: "counter",
      path: "lib:add",
      allowInternal: true,
    });
    expect(resolveFunctionAddress("", { name: "messages" })).toEqual({
      componentPath: "",
      path: "messages:default",
      allowInternal: true,
    });
  });

  it("a child reference is a public function of the caller's own child", () => {
    const reference = "_reference/childComponent/batchWorker/dir/mod/run";
    expect(resolveFunctionAddress("rateLimiter", { reference })).toEqual({
      componentPath: "rateLimiter/batchWorker",
      path: "dir/mod:run",
      allowInternal: false,
    });
    expect(() =>
      resolveFunctionAddress("", { reference: "_reference/childComponent/onlyAName" }),
    ).toThrow("is not a function reference");
  });

  it("a handle names its function wherever it is; a name cannot qualify itself", () => {
    const handle = functionHandleOf({ componentPath: "counter", path: "lib:secret" });
    expect(resolveFunctionAddress("", { functionHandle: handle })).toEqual({
      componentPath: "counter",
      path: "lib:secret",
      allowInternal: true,
    });
    expect(() => resolveFunctionAddress("", { name: "counter|lib:secret" })).toThrow(
      "Could not find public function for 'counter|lib:secret'",
    );
  });

  it("qualified paths carry a component path beside a function path", () => {
    expect(qualifiedPath("counter", "lib:get")).toBe("counter|lib:get");
    expect(qualifiedPath("", "lib:get")).toBe("lib:get");
    expect(qualifiedPath(undefined, "lib:get")).toBe("lib:get");
    expect(splitQualifiedPath("a/b|lib:get")).toEqual({ componentPath: "a/b", path: "lib:get" });
    expect(splitQualifiedPath("lib:get")).toEqual({ componentPath: "", path: "lib:get" });
  });
});
