/** The kitchen screen: the live list of active orders (a Convex subscription), advanced in place. */
import { useMutation, useSubscription } from "@apollo/client/react";
import type { OrderStatus } from "./gql/graphql";
import { ACTIVE_ORDERS, UPDATE_STATUS } from "./operations";

const NEXT: Partial<Record<OrderStatus, OrderStatus>> = {
  placed: "preparing",
  preparing: "ready",
  ready: "served",
};

export function Kitchen() {
  const { data, error } = useSubscription(ACTIVE_ORDERS);
  const [updateStatus] = useMutation(UPDATE_STATUS);
  if (error !== undefined) return <p role="alert">Kitchen unavailable: {error.message}</p>;
  if (data === undefined) return <p>Connecting to the kitchen…</p>;
  const orders = data.ordersGetActiveOrders;
  return (
    <section>
      <h2>Kitchen: {orders.length} active orders</h2>
      <ul data-testid="orders" style={{ listStyle: "none", padding: 0 }}>
        {orders.map((order) => {
          const next = NEXT[order.status];
          return (
            <li key={order._id} data-testid="order" data-status={order.status}>
              <strong>{order.dish}</strong> for table {order.table}:{" "}
              <span data-testid="status">{order.status}</span>{" "}
              {next !== undefined && (
                <button
                  onClick={() => void updateStatus({ variables: { id: order._id, status: next } })}
                >
                  mark {next}
                </button>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
