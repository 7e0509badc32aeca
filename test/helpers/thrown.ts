/** The error `fn` throws, checked to be an instance of `type` (fails the test when nothing or something else is thrown). */
import { expect } from "vitest";
import { ProfileLabError } from "../../src/xdm/errors.js";

export function thrown<E extends Error>(fn: () => unknown, type: abstract new (...args: never[]) => E): E {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    return e as E;
  }
  throw new Error(`expected a ${type.name}`);
}

/** A located error as tests compare them: class name, code, message and location (or "no error"); any other throw fails. */
export async function thrownLocated(run: () => Promise<unknown>): Promise<{ name: string; code: string; message: string; location: unknown } | "no error"> {
  try {
    await run();
    return "no error";
  } catch (e) {
    if (!(e instanceof ProfileLabError)) throw e;
    return { name: e.name, code: e.code, message: e.message, location: { ...e.location } };
  }
}
