/**
 * Every code the gateway closes a graphql-ws socket with, and what a client should do. (The
 * README's "Operations" section shows the same table.) graphql-ws's client reconnects after
 * 1001, 1013, 4008 and 4403 (with backoff; after 4403 with a fresh token) and gives up after 4400.
 *
 * | code | name                | when                                                                 |
 * | ---- | ------------------- | -------------------------------------------------------------------- |
 * | 1001 | Going Away          | the gateway shuts down (after in-flight operations finished)         |
 * | 1009 | Message Too Big     | a frame over the body limit (`maxBodyBytes`; sent by `ws`)           |
 * | 1013 | Try Again Later     | the backend did not answer the token check within the upstream timeout |
 * | 4008 | Slow Consumer       | the socket's send buffer stayed over `maxBufferedBytes` (slow_consumer.ts) |
 * | 4400 | Bad Request         | a frame graphql-ws cannot accept, or nested too deep (ws_frame_guard.ts) |
 * | 4403 | Forbidden           | the token was refused, or expired while in use                       |
 *
 * graphql-ws itself also closes with its protocol codes (4401, 4406, 4408, 4409, 4429, 4500).
 */
export const CLOSE_CODES = {
  goingAway: 1001,
  messageTooBig: 1009,
  tryAgainLater: 1013,
  slowConsumer: 4008,
  badRequest: 4400,
  forbidden: 4403,
} as const;
