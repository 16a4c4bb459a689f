/**
 * The live stream's iterator (gateway/live/push_iterator.ts) with a direct sink, as a story: a
 * value goes the direct way only while the consumer waits, so nothing overtakes a value still
 * on its way through the stream; a value the direct sink refuses goes through the stream.
 */
import { expect, it } from "vitest";
import { pushIterator } from "../../gateway/live/push_iterator.ts";

it("offers a value to the direct sink only while the consumer waits, in order", async () => {
  const direct: number[] = [];
  let accept = true;
  const stream = pushIterator<number>(
    () => {},
    true,
    (value) => {
      if (!accept) return false;
      direct.push(value);
      return true;
    },
  );

  // 1. Nobody waits yet: the value is kept for the stream (the first result goes this way).
  stream.push(1);
  expect(direct).toEqual([]);
  expect(await stream.next()).toEqual({ value: 1, done: false });

  // 2. The consumer waits: values go the direct way, and the consumer keeps waiting.
  const waiting = stream.next();
  stream.push(2);
  stream.push(3);
  expect(direct).toEqual([2, 3]);

  // 3. The direct sink refuses (say, a result with errors): the waiting consumer gets it.
  accept = false;
  stream.push(4);
  expect(await waiting).toEqual({ value: 4, done: false });

  // 4. While that one is on its way (nobody waits), newer values queue for the stream, latest
  //    only, even once the direct sink accepts again: they must not overtake it.
  accept = true;
  stream.push(5);
  stream.push(6);
  expect(direct).toEqual([2, 3]);
  expect(await stream.next()).toEqual({ value: 6, done: false });

  // 5. Ended: nothing more goes anywhere.
  await stream.return?.();
  stream.push(7);
  expect(direct).toEqual([2, 3]);
});
