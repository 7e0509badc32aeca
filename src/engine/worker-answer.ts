/**
 * Errors as data between a job's thread and its worker threads: a worker answers its result or its error with
 * the error's code and location, and the job's thread rebuilds the class it handles. Kept apart from the pool
 * so that a worker entry loads only this, not the engine.
 */
import { ProfileLabError, type SourceLocation } from "../xdm/errors.js";
import { JobCancelledError } from "./job-progress.js";

/** An error as data, to cross from a worker to the job's thread with its code and location. */
export interface TransferredError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly location?: SourceLocation;
  readonly detail?: string;
}

export function transferError(e: unknown): TransferredError {
  if (e instanceof ProfileLabError) {
    return { name: e.name, message: e.message, code: e.code, location: { ...e.location }, ...(e.detail !== undefined ? { detail: e.detail } : {}) };
  }
  return { name: e instanceof Error ? e.name : "Error", message: e instanceof Error ? e.message : String(e) };
}

/** The error a worker reported, rebuilt as the class the job's thread handles (cancellation included). */
export function rebuildError(t: TransferredError): Error {
  if (t.name === "JobCancelledError") return new JobCancelledError(t.code ?? "CANCELLED", t.message);
  if (t.code === undefined) return Object.assign(new Error(t.message), { name: t.name });
  const e = new ProfileLabError(t.code, t.message, t.location, t.detail);
  Object.defineProperty(e, "name", { value: t.name });
  return e;
}

/** What a worker task answers: its result, or its error as data. */
export type WorkerAnswer<R> = { readonly ok: R } | { readonly error: TransferredError };

/** Runs in the worker: the task's answer, errors caught as data. */
export async function answer<R>(work: () => Promise<R>): Promise<WorkerAnswer<R>> {
  try {
    return { ok: await work() };
  } catch (e) {
    return { error: transferError(e) };
  }
}
