/** Two screens: the kitchen (moved to Convex) and the menu (still the legacy API's). */
import { useState } from "react";
import type { Transport } from "./apollo";
import { Kitchen } from "./kitchen";
import { Menu } from "./menu";

type Screen = "kitchen" | "menu";

export function App({ transport }: { transport: Transport }) {
  const initial = new URLSearchParams(window.location.search).get("screen") === "menu";
  const [screen, setScreen] = useState<Screen>(initial ? "menu" : "kitchen");
  return (
    <main style={{ fontFamily: "system-ui, sans-serif", maxWidth: 720, margin: "2rem auto" }}>
      <header style={{ display: "flex", gap: "1rem", alignItems: "center" }}>
        <h1 style={{ fontSize: "1.4rem", margin: 0 }}>Restaurant</h1>
        <nav style={{ display: "flex", gap: "0.5rem" }}>
          <button onClick={() => setScreen("kitchen")} disabled={screen === "kitchen"}>
            Kitchen (Convex)
          </button>
          <button onClick={() => setScreen("menu")} disabled={screen === "menu"}>
            Menu (legacy API)
          </button>
        </nav>
        <small data-testid="transport">subscriptions over {transport}</small>
      </header>
      {screen === "kitchen" ? <Kitchen /> : <Menu />}
    </main>
  );
}
