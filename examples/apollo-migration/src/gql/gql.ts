/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  subscription ActiveOrders {\n    ordersGetActiveOrders {\n      _id\n      dish\n      table\n      status\n    }\n  }\n": typeof types.ActiveOrdersDocument,
    "\n  mutation UpdateStatus($id: ID!, $status: OrderStatus!) {\n    ordersUpdateStatus(id: $id, status: $status)\n  }\n": typeof types.UpdateStatusDocument,
    "\n  mutation PlaceOrder($dish: String!, $table: Float!) {\n    ordersPlaceOrder(dish: $dish, table: $table)\n  }\n": typeof types.PlaceOrderDocument,
    "\n  query Menu {\n    menu {\n      id\n      name\n      price\n      category\n    }\n    tables {\n      number\n      seats\n    }\n  }\n": typeof types.MenuDocument,
};
const documents: Documents = {
    "\n  subscription ActiveOrders {\n    ordersGetActiveOrders {\n      _id\n      dish\n      table\n      status\n    }\n  }\n": types.ActiveOrdersDocument,
    "\n  mutation UpdateStatus($id: ID!, $status: OrderStatus!) {\n    ordersUpdateStatus(id: $id, status: $status)\n  }\n": types.UpdateStatusDocument,
    "\n  mutation PlaceOrder($dish: String!, $table: Float!) {\n    ordersPlaceOrder(dish: $dish, table: $table)\n  }\n": types.PlaceOrderDocument,
    "\n  query Menu {\n    menu {\n      id\n      name\n      price\n      category\n    }\n    tables {\n      number\n      seats\n    }\n  }\n": types.MenuDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription ActiveOrders {\n    ordersGetActiveOrders {\n      _id\n      dish\n      table\n      status\n    }\n  }\n"): (typeof documents)["\n  subscription ActiveOrders {\n    ordersGetActiveOrders {\n      _id\n      dish\n      table\n      status\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation UpdateStatus($id: ID!, $status: OrderStatus!) {\n    ordersUpdateStatus(id: $id, status: $status)\n  }\n"): (typeof documents)["\n  mutation UpdateStatus($id: ID!, $status: OrderStatus!) {\n    ordersUpdateStatus(id: $id, status: $status)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation PlaceOrder($dish: String!, $table: Float!) {\n    ordersPlaceOrder(dish: $dish, table: $table)\n  }\n"): (typeof documents)["\n  mutation PlaceOrder($dish: String!, $table: Float!) {\n    ordersPlaceOrder(dish: $dish, table: $table)\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Menu {\n    menu {\n      id\n      name\n      price\n      category\n    }\n    tables {\n      number\n      seats\n    }\n  }\n"): (typeof documents)["\n  query Menu {\n    menu {\n      id\n      name\n      price\n      category\n    }\n    tables {\n      number\n      seats\n    }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;