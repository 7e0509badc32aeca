/** A JSONL writer over a buffered file stream that honours back-pressure (waits for `drain`). */
import { createWriteStream, type WriteStream } from "node:fs";
import { once } from "node:events";

export class LineWriter {
  private readonly stream: WriteStream;
  private failure: Error | undefined;
  private count = 0;

  constructor(path: string) {
    this.stream = createWriteStream(path, { encoding: "utf8", highWaterMark: 1 << 20 });
    this.stream.on("error", (err: Error) => {
      this.failure = err;
    });
  }

  /** Lines written so far. */
  get lines(): number {
    return this.count;
  }

  async writeLine(text: string): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    this.count++;
    if (!this.stream.write(`${text}\n`)) await once(this.stream, "drain");
  }

  async writeJson(value: unknown): Promise<void> {
    await this.writeLine(JSON.stringify(value));
  }

  async close(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
    if (this.failure !== undefined) throw this.failure;
  }
}
