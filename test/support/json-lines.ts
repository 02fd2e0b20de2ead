/** Calls `onLine` with each line of a child's output that is a JSON object (`{…}`); other lines are skipped. */
import type { Readable } from 'node:stream';

export function onJsonLines<T>(stream: Readable, onLine: (line: T) => void): void {
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const text = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (text.startsWith('{')) onLine(JSON.parse(text) as T);
    }
  });
}
