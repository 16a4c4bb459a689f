/**
 * Convex's sync protocol messages (see PROTOCOL.md), and the one place where client frames are
 * validated: `parseClientMessage` either returns a well-formed message or throws a
 * `ProtocolViolation` naming the field, what was expected and what arrived.
 */
import { qualifiedPath } from "../components/qualified_path.ts";
import { jsonTextNestsBeyond } from "../../lib/json_depth.ts";
import { guardArguments } from "../values/limits.ts";

/**
 * The deepest a client frame may nest. Arguments nested past Convex's value limit (64) but within
 * this fail as values (QueryFailed, a failed mutation) and the socket stays open; a frame nested
 * deeper (no client can build one: its own encoder recurses) is a protocol violation, refused
 * before it is parsed.
 */
export const MAX_FRAME_NESTING = 1_000;

/** `{querySet, identity, ts}`; `ts` is base64 of the u64 little-endian bytes. */
export interface StateVersion {
  querySet: number;
  identity: number;
  ts: string;
}

export type QuerySetModification =
  | {
      type: "Add";
      queryId: number;
      udfPath: string;
      args: unknown[];
      journal?: string | null;
      componentPath?: string;
    }
  | { type: "Remove"; queryId: number };

export type ClientMessage =
  | {
      type: "Connect";
      sessionId: string;
      connectionCount: number;
      lastCloseReason: string | null;
      maxObservedTimestamp?: string;
      clientTs?: number;
    }
  | {
      type: "ModifyQuerySet";
      baseVersion: number;
      newVersion: number;
      modifications: QuerySetModification[];
    }
  | {
      type: "Mutation";
      requestId: number;
      udfPath: string;
      args: unknown[];
      componentPath?: string;
    }
  | { type: "Action"; requestId: number; udfPath: string; args: unknown[]; componentPath?: string }
  | {
      type: "Authenticate";
      baseVersion: number;
      tokenType: "User" | "Admin" | "None";
      value?: string;
      impersonating?: unknown;
    }
  | { type: "Event"; eventType: string; event: unknown };

export type StateModification =
  | {
      type: "QueryUpdated";
      queryId: number;
      value: unknown;
      logLines: string[];
      journal: string | null;
    }
  | {
      type: "QueryFailed";
      queryId: number;
      errorMessage: string;
      logLines: string[];
      journal: string | null;
      errorData?: unknown;
    }
  | { type: "QueryRemoved"; queryId: number };

export type ServerMessage =
  | {
      type: "Transition";
      startVersion: StateVersion;
      endVersion: StateVersion;
      modifications: StateModification[];
      clientClockSkew?: number;
      serverTs?: number;
    }
  | {
      type: "MutationResponse";
      requestId: number;
      success: true;
      result: unknown;
      ts: string;
      logLines: string[];
    }
  | {
      type: "MutationResponse";
      requestId: number;
      success: false;
      result: string;
      ts: null;
      logLines: string[];
      errorData?: unknown;
    }
  | {
      type: "ActionResponse";
      requestId: number;
      success: boolean;
      result: unknown;
      logLines: string[];
      errorData?: unknown;
    }
  | {
      /** A slice of a Transition's JSON; the client joins `totalParts` of them in order. */
      type: "TransitionChunk";
      chunk: string;
      partNumber: number;
      totalParts: number;
      transitionId: string;
    }
  | { type: "AuthError"; error: string; baseVersion: number | null; authUpdateAttempted: boolean }
  | { type: "FatalError"; error: string }
  | { type: "Ping" };

/** A client frame that breaks the protocol: the socket gets a FatalError and is closed. */
export class ProtocolViolation extends Error {
  constructor(
    /** Short code, used as the close reason (e.g. `WSMessageInvalidJson`). */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ProtocolViolation";
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

/** A short rendering of a client's value for a message: never recursive, never long. */
function preview(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value.slice(0, 64)) : describe(value);
}

/** The argument array of a frame; arguments nested beyond Convex's limit travel as a stand-in. */
function argsField(message: Record<string, unknown>): unknown[] {
  const args = field(message, "args", isArgs, "an array holding one argument object");
  return [guardArguments(args[0])];
}

function field<T>(
  message: Record<string, unknown>,
  name: string,
  check: (value: unknown) => value is T,
  expected: string,
  optional = false,
): T {
  const value = message[name];
  if (value === undefined && optional) return undefined as T;
  if (!check(value)) {
    throw new ProtocolViolation(
      "BadRequest",
      `"${String(message["type"])}" message expects "${name}" to be ${expected}, but got ${describe(value)}.`,
    );
  }
  return value;
}

const isString = (value: unknown): value is string => typeof value === "string";
const isUint = (value: unknown): value is number =>
  typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
const isNumber = (value: unknown): value is number =>
  typeof value === "number" && Number.isFinite(value);
const isArgs = (value: unknown): value is unknown[] => Array.isArray(value) && value.length === 1;
const isStringOrNull = (value: unknown): value is string | null =>
  value === null || typeof value === "string";

function parseModification(raw: unknown): QuerySetModification {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ProtocolViolation(
      "BadRequest",
      `ModifyQuerySet modifications must be objects, got ${describe(raw)}.`,
    );
  }
  const modification = raw as Record<string, unknown>;
  switch (modification["type"]) {
    case "Add": {
      const add: QuerySetModification = {
        type: "Add",
        queryId: field(modification, "queryId", isUint, "a non-negative integer"),
        udfPath: qualifiedPath(
          modification["componentPath"],
          field(modification, "udfPath", isString, "a function path string"),
        ),
        args: argsField(modification),
      };
      const journal = field(modification, "journal", isStringOrNull, "a string or null", true);
      if (journal !== undefined) add.journal = journal;
      return add;
    }
    case "Remove":
      return {
        type: "Remove",
        queryId: field(modification, "queryId", isUint, "a non-negative integer"),
      };
    default:
      throw new ProtocolViolation(
        "BadRequest",
        `Unknown query set modification type ${preview(modification["type"])} (expected "Add" or "Remove").`,
      );
  }
}

/** A `Connect` frame's fields. @throws ProtocolViolation */
function parseConnect(message: Record<string, unknown>): ClientMessage {
  const sessionId = field(message, "sessionId", isString, "a UUID string");
  if (!UUID.test(sessionId)) {
    throw new ProtocolViolation(
      "BadRequest",
      `"Connect" message expects "sessionId" to be a UUID, got "${sessionId.slice(0, 64)}".`,
    );
  }
  const connect: ClientMessage = {
    type: "Connect",
    sessionId,
    connectionCount: field(message, "connectionCount", isUint, "a non-negative integer"),
    lastCloseReason:
      typeof message["lastCloseReason"] === "string" ? message["lastCloseReason"] : null,
  };
  const maxObserved = field(message, "maxObservedTimestamp", isString, "a base64 timestamp", true);
  if (maxObserved !== undefined) connect.maxObservedTimestamp = maxObserved;
  const clientTs = field(message, "clientTs", isNumber, "a number", true);
  if (clientTs !== undefined) connect.clientTs = clientTs;
  return connect;
}

/** An `Authenticate` frame's fields. @throws ProtocolViolation */
function parseAuthenticate(message: Record<string, unknown>): ClientMessage {
  const tokenType = field(
    message,
    "tokenType",
    (value): value is "User" | "Admin" | "None" =>
      value === "User" || value === "Admin" || value === "None",
    '"User", "Admin" or "None"',
  );
  const authenticate: ClientMessage = {
    type: "Authenticate",
    baseVersion: field(message, "baseVersion", isUint, "a non-negative integer"),
    tokenType,
  };
  if (tokenType !== "None")
    authenticate.value = field(message, "value", isString, "a token string");
  // An admin acting as a user: the identity's attributes (checked by the credentials).
  if (tokenType === "Admin" && message["impersonating"] !== undefined)
    authenticate.impersonating = message["impersonating"];
  return authenticate;
}

/** Parses and validates one client text frame. @throws ProtocolViolation */
export function parseClientMessage(text: string): ClientMessage {
  if (jsonTextNestsBeyond(text, MAX_FRAME_NESTING)) {
    throw new ProtocolViolation(
      "WSMessageInvalidJson",
      `Received a message that nests deeper than ${MAX_FRAME_NESTING} levels.`,
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolViolation(
      "WSMessageInvalidJson",
      `Received a message that is not valid JSON: ${text.slice(0, 64)}`,
    );
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ProtocolViolation(
      "WSMessageInvalidJson",
      `Messages must be JSON objects, got ${describe(raw)}.`,
    );
  }
  const message = raw as Record<string, unknown>;
  switch (message["type"]) {
    case "Connect":
      return parseConnect(message);
    case "ModifyQuerySet": {
      const modifications = field(message, "modifications", Array.isArray, "an array");
      return {
        type: "ModifyQuerySet",
        baseVersion: field(message, "baseVersion", isUint, "a non-negative integer"),
        newVersion: field(message, "newVersion", isUint, "a non-negative integer"),
        modifications: (modifications as unknown[]).map(parseModification),
      };
    }
    case "Mutation":
    case "Action":
      return {
        type: message["type"],
        requestId: field(message, "requestId", isUint, "a non-negative integer"),
        udfPath: qualifiedPath(
          message["componentPath"],
          field(message, "udfPath", isString, "a function path string"),
        ),
        args: argsField(message),
      };
    case "Authenticate":
      return parseAuthenticate(message);
    case "Event":
      return {
        type: "Event",
        eventType: typeof message["eventType"] === "string" ? message["eventType"] : "",
        event: message["event"],
      };
    default:
      throw new ProtocolViolation(
        "BadRequest",
        `Unknown message type ${preview(message["type"])}: expected Connect, ModifyQuerySet, Mutation, Action, Authenticate or Event.`,
      );
  }
}
