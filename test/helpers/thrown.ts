/** The error `fn` throws, checked to be an instance of `type` (fails the test when nothing or something else is thrown). */
import { expect } from "vitest";

export function thrown<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected a ${type.name}`);
}
