// A writable stream that keeps what the server logged, for tests that read
// the log (what was logged, at which level, and what never was).
import { Writable } from "node:stream";

export function memoryStream(): { stream: Writable; text: () => string } {
  let text = "";
  const stream = new Writable({
    write(chunk, _enc, done) {
      text += chunk;
      done();
    },
  });
  return { stream, text: () => text };
}
