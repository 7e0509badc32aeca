/** Several files written line by line at once, each honouring back-pressure (waits for `drain`). */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";

export class WriteStreams {
  private readonly streams: WriteStream[];

  /** `bufferBytes` per file: keep it small when a writer feeds many files at once. */
  constructor(files: readonly string[], bufferBytes: number) {
    this.streams = files.map((f) => createWriteStream(f, { highWaterMark: bufferBytes }));
  }

  async write(index: number, text: string): Promise<void> {
    const stream = this.streams[index]!;
    if (!stream.write(text)) await once(stream, "drain");
  }

  async close(): Promise<void> {
    await Promise.all(this.streams.map((s) => new Promise<void>((resolve, reject) => s.end((e?: Error | null) => (e ? reject(e) : resolve())))));
  }
}
