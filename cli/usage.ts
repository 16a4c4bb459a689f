/** The `convex-graphql` command's usage text, and how a bad command line fails (exit 2). */
import { LOG_LEVELS } from "./logger.ts";

export const USAGE = `Usage: convex-graphql <command> [options]

Commands:
  backend   Run the embedded Convex-compatible backend for DIR/convex
            --dir DIR          app folder holding convex/ (default: .)
            --port PORT        HTTP and WebSocket port (default: 3210; 0 picks a free one)
            --site-port PORT   HTTP actions (convex/http.ts), Convex's site URL (default: 3211; 0: free)
            --host HOST        interface to listen on (default: 127.0.0.1)
            --data FILE        SQLite data file (default: DIR/.convex-graphql/data.sqlite3)
            --no-watch         do not reload functions when files change
            --env-file FILE    store the variables of this .env file at start (see env)
            --log-level LEVEL  ${LOG_LEVELS.join("|")} (default: info); logs go to stderr,
                               pretty in a terminal, JSON lines otherwise
            --admin-key KEY    the deployment's admin key (default: $CONVEX_GRAPHQL_ADMIN_KEY, else
                               the key kept beside the data file, made on first start)
  gateway   Serve GraphQL in front of a Convex deployment
            --convex-url URL   the deployment (required), e.g. https://x.convex.cloud or http://127.0.0.1:3210
            --dir DIR          app folder whose convex/ functions define the schema (default: .)
            --schema FILE      serve this contract: SDL whose fields are bound by @convex /
                               @convexRelation (default: DIR/schema.graphql when it exists)
            --no-contract      serve the schema derived from the functions even when
                               DIR/schema.graphql exists
            --function-spec FILE derive the schema from this function spec (\`npx convex
                               function-spec\` of a deployment, or \`convex-graphql function-spec\`)
                               instead of a convex/ folder
            --port PORT        (default: 4000)   --host HOST (default: 127.0.0.1)
            --no-watch         do not re-derive the schema when files change
            --dev              do not mask unexpected errors
            --no-introspection refuse introspection queries
            --persisted FILE   accept only the operations of this manifest (hash -> document: the
                               persisted-documents.json of graphql-codegen's client preset); without
                               it, any operation, and Apollo's automatic persisted queries
            --csrf-prevention  refuse GETs and form POSTs without a preflight header (for a proxy
                               that turns cookies into Authorization; the gateway reads no cookies)
            --query-cache-ms MS keep queries a GraphQL query read subscribed this long, so repeats
                               are answered from pushed results (default: 30000; 0: always read upstream)
            --log-level LEVEL  (default: info)
            --merge [PREFIX=]URL serve an existing GraphQL API's schema too (repeatable): its queries
                               and mutations proxied with the caller's Authorization, its
                               subscriptions over SSE; PREFIX renames its types and root fields
            --federation       serve as an Apollo Federation v2 subgraph (_service, _entities)
  dev       Backend and gateway together on DIR (default: .), watching DIR/convex
            --dir DIR  --schema FILE  --no-contract (as gateway)
            --port PORT (gateway, default 4000)  --backend-port PORT (default 3210)
            --site-port PORT (HTTP actions, default 3211)  --host HOST  --data FILE
            --query-cache-ms MS  --env-file FILE  --csrf-prevention  --persisted FILE
            --log-level LEVEL  --admin-key KEY  --merge [PREFIX=]URL  --federation
  schema    Print the GraphQL contract derived from DIR/convex: SDL whose root and relation
            fields carry @convex / @convexRelation directives naming their functions
            --dir DIR  --function-spec FILE (instead of DIR)  --out FILE (instead of stdout)
            --check            compare with the contract (DIR/schema.graphql, or --contract FILE):
                               exit 1 when a bound function was removed or changed incompatibly;
                               new public functions are warnings (errors with --strict)
  function-spec  Print DIR/convex's functions in Convex's function-spec format (what
            \`npx convex function-spec\` prints), plus schema.ts's tables; --dir DIR
  codegen   Write DIR/convex/_generated/ (what \`npx convex dev\` writes) with Convex's own
            generator, offline; --dir DIR
  env       Manage the deployment's environment variables (functions read them as process.env)
            env set NAME VALUE (or NAME=VALUE)   env get NAME   env list   env remove NAME
            --dir DIR          app folder (default: .)
            --data FILE        SQLite data file (default: DIR/.convex-graphql/data.sqlite3)
`;

export function fail(message: string): never {
  process.stderr.write(`convex-graphql: ${message}\n\n${USAGE}`);
  process.exit(2);
}
