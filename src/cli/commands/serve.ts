/** `profile-lab serve`: the platform's REST endpoints on this machine, over the sandboxes of a folder. */
import { buildServer } from "../../server/app.js";
import { ProfileLabError } from "../../xdm/errors.js";
import { intOption, statusModelOf, stringOption } from "../args.js";
import { UsageError, type CommandRun } from "../command.js";
import { printJson } from "../print.js";

export const run: CommandRun = async (args, io) => {
  const port = intOption(args, "port")!;
  if (port > 65535) throw new UsageError(`--port must be from 0 to 65535, not ${port}`);
  const host = stringOption(args, "host")!;
  const token = stringOption(args, "token");
  const app = buildServer({ sandboxes: args.values["sandboxes"] as string, statusModel: statusModelOf(args), lockAs: `http://${host}:${port}`, ...(token !== undefined ? { token } : {}) });
  let address: string;
  try {
    address = await app.listen({ port, host });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EADDRNOTAVAIL" || code === "EACCES") {
      throw new ProfileLabError("SRV-003", `cannot listen on ${host}:${port} (${code}): choose another --port or --host`);
    }
    throw e;
  }
  const sandboxes = (await app.inject({ method: "GET", url: "/health" })).json<{ sandboxes: { name: string; status: string }[] }>().sandboxes;
  if (args.values["json"]) printJson(io, { address, sandboxes });
  else io.out(`profile-lab serve: listening on ${address} (sandboxes: ${sandboxes.map((s) => (s.status === "ready" ? s.name : `${s.name} [unavailable]`)).join(", ") || "none"}); Ctrl-C to stop`);
  // Ctrl-C or SIGTERM: stop taking requests, ask running jobs to stop at their next checkpoint, release the locks.
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      io.err("profile-lab serve: stopping…");
      void app.close().then(() => resolve());
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  return 0;
};
