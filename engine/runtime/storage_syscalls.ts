/**
 * The file-storage syscalls `convex/server` makes (`server/impl/storage_impl.ts`):
 * - async `1.0/storageGenerateUploadUrl`, `1.0/storageGetUrl`, `1.0/storageGetMetadata`,
 *   `1.0/storageDelete` (JSON in, JSON text out): in queries and mutations they act in the
 *   function's transaction (a query that calls `getUrl` reruns when the file is deleted); in
 *   actions each acts on the latest commit, or commits on its own;
 * - JS `storage/storeBlob` and `storage/getBlob` (a `Blob` in or out), in actions only;
 * - async `1.0/storageStore` and `1.0/storageGet` (base64 bytes in JSON), mutations' `store` and
 *   `get` (convex 1.48): in the mutation's transaction, within its file limits.
 */
import { FunctionFailure } from "../errors.ts";
import { TRANSACTION_FILE_LIMITS } from "../files/file_storage.ts";
import type { FileStorage } from "../files/file_storage.ts";
import type { Execution } from "./execution.ts";
import type { Transaction } from "../transactions/transaction.ts";

type Args = Record<string, unknown>;

/** Finds the calling execution (refusing calls outside of one, or after it ended). */
export type ExecutionGuard = (op: string) => Execution;

export interface StorageSyscalls {
  readonly async: Record<string, (args: Args) => Promise<string> | string>;
  readonly js: Record<string, (args: Args) => unknown>;
}

function mutationOrAction(exec: Execution, method: string): void {
  if (exec.kind === "query") {
    throw new FunctionFailure(
      `storage.${method}() is not available in queries: call it from a mutation or an action.`,
    );
  }
}

/** The transaction of a mutation. @throws FunctionFailure in anything else. */
function mutationTransaction(exec: Execution, method: string): Transaction {
  if (exec.kind !== "mutation" || exec.tx === null) {
    throw new FunctionFailure(
      `storage.${method}() with base64 bytes is only available in mutations (actions store and get Blobs).`,
    );
  }
  return exec.tx;
}

/**
 * The bytes of a mutation's `store`, decoded from base64 once they are known to fit in a
 * transaction's file bytes (a larger file belongs in an action).
 */
function storedBytes(blob: unknown): Uint8Array {
  if (typeof blob !== "string") throw new FunctionFailure("storage.store() expects a Blob.");
  if ((blob.length * 3) / 4 > TRANSACTION_FILE_LIMITS.bytes + 3) {
    throw new FunctionFailure(
      `storage.store() in a mutation takes files up to ${TRANSACTION_FILE_LIMITS.bytes / (1024 * 1024)} MiB: store larger ones from an action.`,
    );
  }
  return Buffer.from(blob, "base64");
}

function actionOnly(exec: Execution, method: string): void {
  if (exec.kind !== "action") {
    throw new FunctionFailure(`storage.${method}() is only available in actions.`);
  }
}

/** The storage syscalls of one engine. */
export function storageSyscalls(files: FileStorage, execution: ExecutionGuard): StorageSyscalls {
  return {
    async: {
      "1.0/storageGenerateUploadUrl": async () => {
        const exec = execution("storage.generateUploadUrl");
        mutationOrAction(exec, "generateUploadUrl");
        return JSON.stringify(await files.generateUploadUrl(exec.tx));
      },
      "1.0/storageGetUrl": (args) => {
        const exec = execution("storage.getUrl");
        return JSON.stringify(files.getUrl(exec.tx, args["storageId"]));
      },
      "1.0/storageGetMetadata": (args) => {
        const exec = execution("storage.getMetadata");
        return JSON.stringify(files.getMetadata(exec.tx, args["storageId"]));
      },
      "1.0/storageStore": async (args) => {
        const tx = mutationTransaction(execution("storage.store"), "store");
        const contentType = args["contentType"];
        const sha256 = args["sha256"];
        const storageId = await files.storeIn(tx, storedBytes(args["blob"]), {
          contentType: typeof contentType === "string" && contentType !== "" ? contentType : null,
          expectedSha256: typeof sha256 === "string" ? sha256 : null,
        });
        return JSON.stringify(storageId);
      },
      "1.0/storageGet": async (args) => {
        const tx = mutationTransaction(execution("storage.get"), "get");
        const file = await files.get(args["storageId"], tx);
        if (file === null) return "null";
        return JSON.stringify({
          blob: file.bytes.toString("base64"),
          contentType: file.contentType,
        });
      },
      "1.0/storageDelete": async (args) => {
        const exec = execution("storage.delete");
        mutationOrAction(exec, "delete");
        await files.delete(exec.tx, args["storageId"]);
        return "null";
      },
    },
    js: {
      "storage/storeBlob": async (args) => {
        actionOnly(execution("storage.store"), "store");
        const blob = args["blob"];
        if (!(blob instanceof Blob)) throw new FunctionFailure("storage.store() expects a Blob.");
        const options = args["options"] as { sha256?: unknown } | undefined;
        const bytes = new Uint8Array(await blob.arrayBuffer());
        return await files.store(bytes, {
          contentType: blob.type === "" ? null : blob.type,
          expectedSha256: typeof options?.sha256 === "string" ? options.sha256 : null,
        });
      },
      "storage/getBlob": async (args) => {
        actionOnly(execution("storage.get"), "get");
        const file = await files.get(args["storageId"]);
        if (file === null) return null;
        return new Blob([new Uint8Array(file.bytes)], { type: file.contentType ?? "" });
      },
    },
  };
}
