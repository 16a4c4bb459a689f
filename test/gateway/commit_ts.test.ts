/**
 * `db.vars.commitTs` through the gateway, against the components fixture app (its `stamps`
 * table, `at: v.commitTs()`): the field is a `BigInt` in the derived schema, declared and
 * inferred alike, and reads as the decimal commit timestamp, in commit order.
 */
import path from "node:path";
import { expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import { appSchemaOf, data, useSharedServers } from "./support/gateway.ts";
import { fieldsOf } from "../example_app/support/signed_in_app.ts";

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "components_app");

const servers = useSharedServers({ dir: APP_DIR });

it("types a commit timestamp as BigInt, declared in the schema and inferred from a handler", async () => {
  const schema = (await appSchemaOf(APP_DIR)).current();
  expect(fieldsOf(schema, "Stamp")["at"]).toBe("BigInt!");
  expect(fieldsOf(schema, "GameStampsResult")["at"]).toBe("BigInt!");
});

it("reads each row's commit timestamp as a decimal string, in commit order", async () => {
  for (const label of ["one", "two"])
    await data(servers.gateway.url, `mutation ($l: String!) { gameStamp(label: $l) }`, {
      l: label,
    });
  const { gameStamps } = (await data(servers.gateway.url, `{ gameStamps { label at } }`)) as {
    gameStamps: { label: string; at: string }[];
  };
  expect(gameStamps.map((row) => row.label)).toEqual(["one", "two"]);
  const [one, two] = gameStamps.map((row) => BigInt(row.at));
  expect(two! > one!).toBe(true);
});
