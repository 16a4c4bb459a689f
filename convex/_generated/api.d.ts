/* eslint-disable */
/**
 * Generated `api` utility.
 *
 * THIS CODE IS AUTOMATICALLY GENERATED.
 *
 * To regenerate, run `npx convex dev`.
 * @module
 */

import type {
  ApiFromModules,
  FilterApi,
  FunctionReference,
} from "convex/server";
import type * as counters from "../counters.js";
import type * as crons from "../crons.js";
import type * as http from "../http.js";
import type * as kitchen from "../kitchen.js";
import type * as messages from "../messages.js";
import type * as orders from "../orders.js";
import type * as photos from "../photos.js";
import type * as search from "../search.js";
import type * as users from "../users.js";

/**
 * A utility for referencing Convex functions in your app's API.
 *
 * Usage:
 * ```js
 * const myFunctionReference = api.myModule.myFunction;
 * ```
 */
declare const fullApi: ApiFromModules<{
  counters: typeof counters;
  crons: typeof crons;
  http: typeof http;
  kitchen: typeof kitchen;
  messages: typeof messages;
  orders: typeof orders;
  photos: typeof photos;
  search: typeof search;
  users: typeof users;
}>;
export declare const api: FilterApi<
  typeof fullApi,
  FunctionReference<any, "public">
>;
export declare const internal: FilterApi<
  typeof fullApi,
  FunctionReference<any, "internal">
>;
