/**
 * Every GraphQL operation the app sends, typed by codegen (src/gql/). The kitchen's live by
 * Convex; the menu's still the legacy API's, through the gateway's `--merge`. Kept few, and on
 * field names that exist today, so a schema change means editing this file and rerunning codegen.
 */
import { graphql } from "./gql";

/** Convex: the kitchen's live order list (a Convex live query). */
export const ACTIVE_ORDERS = graphql(`
  subscription ActiveOrders {
    ordersGetActiveOrders {
      _id
      dish
      table
      status
    }
  }
`);

/** Convex: move an order to its next status. */
export const UPDATE_STATUS = graphql(`
  mutation UpdateStatus($id: ID!, $status: OrderStatus!) {
    ordersUpdateStatus(id: $id, status: $status)
  }
`);

/** Convex: place an order. */
export const PLACE_ORDER = graphql(`
  mutation PlaceOrder($dish: String!, $table: Float!) {
    ordersPlaceOrder(dish: $dish, table: $table)
  }
`);

/** Legacy API: the menu and the tables, still served by the old server. */
export const MENU = graphql(`
  query Menu {
    menu {
      id
      name
      price
      category
    }
    tables {
      number
      seats
    }
  }
`);
