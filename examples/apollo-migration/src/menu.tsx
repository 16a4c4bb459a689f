/** The menu screen: dishes and tables from the legacy API; ordering goes to Convex. */
import { useState } from "react";
import { useMutation, useQuery } from "@apollo/client/react";
import { MENU, PLACE_ORDER } from "./operations";

export function Menu() {
  const { data, error } = useQuery(MENU);
  const [table, setTable] = useState(1);
  const [placed, setPlaced] = useState<string | null>(null);
  const [placeOrder] = useMutation(PLACE_ORDER);
  if (error !== undefined) return <p role="alert">Menu unavailable: {error.message}</p>;
  if (data === undefined) return <p>Loading the menu…</p>;
  const order = async (dish: string) => {
    await placeOrder({ variables: { dish, table } });
    setPlaced(`${dish} for table ${table}`);
  };
  return (
    <section>
      <h2>Menu</h2>
      <label>
        Table{" "}
        <select
          data-testid="table"
          value={table}
          onChange={(event) => setTable(Number(event.target.value))}
        >
          {data.tables.map((t) => (
            <option key={t.number} value={t.number}>
              {t.number} ({t.seats} seats)
            </option>
          ))}
        </select>
      </label>
      <ul style={{ listStyle: "none", padding: 0 }}>
        {data.menu.map((dish) => (
          <li key={dish.id}>
            {dish.name} ({dish.category}), ${dish.price}{" "}
            <button data-testid={`order-${dish.id}`} onClick={() => void order(dish.id)}>
              Order
            </button>
          </li>
        ))}
      </ul>
      {placed !== null && <p data-testid="placed">Ordered {placed}</p>}
    </section>
  );
}
