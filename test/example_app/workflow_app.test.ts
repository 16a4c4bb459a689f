/**
 * An app built on `@convex-dev/workflow` 0.5 (and the `@convex-dev/workpool` component it runs its
 * steps through), written as the workflow's docs write one (`test/fixtures/workflow_app`): a
 * workflow of two action steps and a mutation step, started from a mutation, its status read
 * with `getStatus`. Served through the gateway: the status is a GraphQL union told apart by
 * `type` (`WorkflowId`, a branded string, is a `String`), and a subscription follows the workflow
 * from in progress to completed as the workpool runs its steps, with no polling.
 */
import path from "node:path";
import { isUnionType } from "graphql";
import { describe, expect, it } from "vitest";
import { REPO_ROOT } from "../utils/backend.ts";
import {
  appSchemaOf,
  data,
  record,
  useSharedServers,
  wsClient,
} from "../gateway/support/gateway.ts";
import { fieldsOf } from "./support/signed_in_app.ts";

const APP_DIR = path.join(REPO_ROOT, "test", "fixtures", "workflow_app");

const servers = useSharedServers({ dir: APP_DIR });

const STATUS = `subscription ($id: String!) {
  flowsStatus(id: $id) {
    __typename
    ... on FlowsStatusResultCompleted { result }
    ... on FlowsStatusResultFailed { error }
  }
}`;

describe("a workflow through the gateway", () => {
  it("types the workflow's id as a String and its status as a union told apart by `type`", async () => {
    const schema = (await appSchemaOf(APP_DIR)).current();
    expect(fieldsOf(schema, "Mutation")["flowsKickoff"]).toBe("String!");
    const status = schema.getType("FlowsStatusResult");
    expect(isUnionType(status) && status.getTypes().map(String)).toEqual([
      "FlowsStatusResultInProgress",
      "FlowsStatusResultCompleted",
      "FlowsStatusResultCanceled",
      "FlowsStatusResultFailed",
    ]);
  });

  it("follows a started workflow live until its steps completed", async () => {
    const started = await data(servers.gateway.url, `mutation { flowsKickoff(n: 3) }`);
    const id = started["flowsKickoff"] as string;
    await using socket = wsClient(servers.gateway.url);
    using status = record(socket, { query: STATUS, variables: { id } });
    // Its steps run later, through the workpool's scheduled functions.
    const first = await status.next("the first status");
    expect(first.data).toEqual({ flowsStatus: { __typename: "FlowsStatusResultInProgress" } });
    const done = await status.value(
      (result) =>
        (result.data?.["flowsStatus"] as { __typename?: string } | undefined)?.__typename !==
        "FlowsStatusResultInProgress",
      "the workflow's end",
      30_000,
    );
    // 3 doubled is 6, doubled again 12: the workflow returns their sum.
    expect(done.data).toEqual({
      flowsStatus: { __typename: "FlowsStatusResultCompleted", result: 18 },
    });
    const results = await data(servers.gateway.url, `{ flowsResults { workflowId total } }`);
    expect(results["flowsResults"]).toEqual([{ workflowId: id, total: 18 }]);
  });
});
