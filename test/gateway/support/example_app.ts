/**
 * The example app (`convex/`) as gateway tests use it: the GraphQL documents they send, a client
 * for calling the backend directly (with the references of `convex/_generated/api`), and an id
 * of the `orders` table that names no document.
 */
import { randomBytes } from "node:crypto";
import { ConvexHttpClient } from "convex/browser";
import { decodeDocumentId, generateDocumentId } from "../../../engine/values/document_id.ts";

export type OrderStatus = "placed" | "preparing" | "ready" | "served";

/** An `Order` as the documents below select it. */
export interface OrderFields {
  _id: string;
  dish: string;
  table: number;
  status: OrderStatus;
  notes: string | null;
}

export const ORDER_FIELDS = "_id dish table status notes";

export const PLACE_ORDER = `mutation Place($dish: String!, $table: Float!, $notes: String) {
  ordersPlaceOrder(dish: $dish, table: $table, notes: $notes)
}`;

export const UPDATE_STATUS = `mutation Update($id: ID!, $status: OrderStatus!) {
  ordersUpdateStatus(id: $id, status: $status)
}`;

export const ORDERS_BY_TABLE = `query ByTable($table: Float!) {
  ordersGetOrdersByTable(table: $table) { ${ORDER_FIELDS} }
}`;

export const WATCH_TABLE = `subscription WatchTable($table: Float!) {
  ordersGetOrdersByTable(table: $table) { ${ORDER_FIELDS} }
}`;

export const LIVE_TABLE = `query LiveTable($table: Float!) @live {
  ordersGetOrdersByTable(table: $table) { ${ORDER_FIELDS} }
}`;

/** A quiet official HTTP client straight to the backend. */
export function convexHttp(url: string): ConvexHttpClient {
  return new ConvexHttpClient(url, { logger: false });
}

/** An id of the same table as `existing` that names no document (fresh random bytes). */
export function missingIdLike(existing: string): string {
  const decoded = decodeDocumentId(existing);
  if (decoded === null) throw new Error(`${existing} is not a document id`);
  return generateDocumentId(decoded.tableNumber, new Uint8Array(randomBytes(16)));
}

/** The dishes of a list of orders, in order. */
export function dishes(orders: unknown): string[] {
  return (orders as OrderFields[]).map((order) => order.dish);
}
