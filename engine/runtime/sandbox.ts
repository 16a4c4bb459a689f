/**
 * The realm user code runs in: a `vm` context with its own built-ins, where `Date`, `Math.random`,
 * `fetch` and timers are replaced by shims that consult the current execution:
 * - queries and mutations see a frozen `Date.now()` and a per-execution seeded `Math.random`, and
 *   `fetch`/`setTimeout`/`setInterval` throw, as in Convex's runtime (determinism makes OCC
 *   retries and query caching safe);
 * - actions see the real clock, real randomness, and may use fetch and timers.
 * The global `Convex` (the syscall table `convex/server` calls) is installed here too.
 */
import vm from "node:vm";
import { webcrypto } from "node:crypto";
import { currentExecution } from "./execution.ts";
import { logToExecution } from "./log_lines.ts";

/** The syscall surface `convex/server` expects on `globalThis.Convex`. */
export interface ConvexGlobal {
  syscall(op: string, jsonArgs: string): string;
  asyncSyscall(op: string, jsonArgs: string): Promise<string>;
  jsSyscall(op: string, args: Record<string, unknown>): unknown;
}

function forbidInTransactions(what: string): void {
  const execution = currentExecution();
  if (execution !== undefined && execution.kind !== "action") {
    throw new Error(
      `Can't use ${what} in queries and mutations. Please consider using an action. See https://docs.convex.dev/functions/actions for more details.`,
    );
  }
}

/** The host functions the in-realm shims call. */
function hostBindings(convex: ConvexGlobal): Record<string, unknown> {
  return {
    convex,
    now: (): number => {
      const execution = currentExecution();
      if (execution === undefined) return Date.now();
      return execution.kind !== "action" ? execution.nowMs : (execution.now ?? Date.now)();
    },
    random: (): number => {
      const execution = currentExecution();
      return execution !== undefined && execution.kind !== "action"
        ? execution.random()
        : Math.random();
    },
    log: logToExecution,
    forbid: forbidInTransactions,
    fetch: (...args: Parameters<typeof fetch>) => {
      forbidInTransactions("fetch()");
      return fetch(...args);
    },
    setTimeout: (callback: () => void, ms?: number) => {
      forbidInTransactions("setTimeout");
      const timers = currentExecution()?.timers;
      const handle = setTimeout(() => {
        timers?.delete(handle);
        callback();
      }, ms);
      timers?.add(handle);
      return handle;
    },
    setInterval: (callback: () => void, ms?: number) => {
      forbidInTransactions("setInterval");
      const handle = setInterval(callback, ms);
      currentExecution()?.timers?.add(handle);
      return handle;
    },
    clearTimeout: (handle: NodeJS.Timeout) => {
      currentExecution()?.timers?.delete(handle);
      clearTimeout(handle);
    },
    clearInterval: (handle: NodeJS.Timeout) => {
      currentExecution()?.timers?.delete(handle);
      clearInterval(handle);
    },
    subtle: webcrypto.subtle,
    getRandomValues: (array: Uint8Array) => {
      const bytes = new Uint8Array(array.length * (array.BYTES_PER_ELEMENT ?? 1));
      webcrypto.getRandomValues(bytes);
      return bytes;
    },
    randomUUID: () => webcrypto.randomUUID(),
    encodeUtf8: (text: string) => Buffer.from(text, "utf8").toString("latin1"),
    decodeUtf8: (latin1: string) => Buffer.from(latin1, "latin1").toString("utf8"),
  };
}

// Runs inside the sandbox realm: replaces built-ins with shims bound to the host.
const SETUP = `
(function setup(host) {
  "use strict";
  const RealDate = Date;
  function ConvexDate(...args) {
    if (!new.target) return new RealDate(host.now()).toString();
    return args.length === 0 ? new RealDate(host.now()) : new RealDate(...args);
  }
  ConvexDate.prototype = RealDate.prototype;
  ConvexDate.now = () => host.now();
  ConvexDate.parse = RealDate.parse;
  ConvexDate.UTC = RealDate.UTC;
  Object.defineProperty(RealDate.prototype, "constructor", { value: ConvexDate });
  globalThis.Date = ConvexDate;
  Math.random = () => host.random();
  const consoleObject = {};
  for (const [method, level] of [["log","LOG"],["info","INFO"],["warn","WARN"],["error","ERROR"],["debug","DEBUG"],["trace","DEBUG"]]) {
    consoleObject[method] = (...args) => host.log(level, args);
  }
  globalThis.console = consoleObject;
  globalThis.fetch = (...args) => host.fetch(...args);
  globalThis.setTimeout = (callback, ms, ...rest) => host.setTimeout(() => callback(...rest), ms);
  globalThis.setInterval = (callback, ms, ...rest) => host.setInterval(() => callback(...rest), ms);
  globalThis.clearTimeout = (handle) => host.clearTimeout(handle);
  globalThis.clearInterval = (handle) => host.clearInterval(handle);
  globalThis.crypto = {
    getRandomValues(array) {
      const bytes = host.getRandomValues(array);
      new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(bytes);
      return array;
    },
    randomUUID: () => host.randomUUID(),
    subtle: host.subtle,
  };
  class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(text = "") {
      const latin1 = host.encodeUtf8(String(text));
      const out = new Uint8Array(latin1.length);
      for (let i = 0; i < latin1.length; i++) out[i] = latin1.charCodeAt(i);
      return out;
    }
  }
  class TextDecoder {
    get encoding() { return "utf-8"; }
    decode(input) {
      if (input === undefined) return "";
      const bytes = input instanceof ArrayBuffer ? new Uint8Array(input) : new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
      let latin1 = "";
      for (let i = 0; i < bytes.length; i += 8192) latin1 += String.fromCharCode(...bytes.subarray(i, i + 8192));
      return host.decodeUtf8(latin1);
    }
  }
  globalThis.TextEncoder = TextEncoder;
  globalThis.TextDecoder = TextDecoder;
  Object.defineProperty(globalThis, "Convex", { value: host.convex, writable: false, enumerable: false });
})
`;

/** A fresh realm for one version of the deployment's code. */
export class Sandbox {
  private readonly context: vm.Context;

  constructor(convex: ConvexGlobal, env: Readonly<Record<string, string>>) {
    this.context = vm.createContext({
      URL,
      URLSearchParams,
      atob,
      btoa,
      structuredClone,
      queueMicrotask,
      AbortController,
      AbortSignal,
      Blob,
      Headers,
      Request,
      Response,
      FormData,
      Event,
      EventTarget,
      ReadableStream,
      WritableStream,
      TransformStream,
      performance,
      process: { env: { ...env } },
    });
    const setup = vm.runInContext(SETUP, this.context, { filename: "convex-runtime-setup.js" }) as (
      host: unknown,
    ) => void;
    setup(hostBindings(convex));
  }

  /**
   * Runs `load` telling `onUnset` the name of each variable it reads from `process.env` that the
   * deployment does not have (reads still answer `undefined`): what `auth.config.ts` read unset.
   */
  recordingUnsetEnv<T>(load: () => T, onUnset: (name: string) => void): T {
    const realmProcess = this.context["process"] as { env: Record<string, string> };
    const env = realmProcess.env;
    realmProcess.env = new Proxy(env, {
      get(target, name, receiver) {
        if (typeof name === "string" && !Object.hasOwn(target, name)) onUnset(name);
        return Reflect.get(target, name, receiver) as unknown;
      },
    });
    try {
      return load();
    } finally {
      realmProcess.env = env;
    }
  }

  /**
   * Evaluates a CommonJS bundle in the realm and returns its `module.exports`.
   * @throws whatever the bundle's top level throws.
   */
  evaluateCommonJs(code: string, filename: string): unknown {
    const wrapper = vm.runInContext(`(function (module, exports) {\n${code}\n})`, this.context, {
      filename,
      lineOffset: -1,
    }) as (module: { exports: unknown }, exports: unknown) => void;
    const module = { exports: {} as unknown };
    wrapper(module, module.exports);
    return module.exports;
  }
}
