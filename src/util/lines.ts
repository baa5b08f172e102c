/**
 * Reading text files line by line: any size (a JSONL of several GiB never becomes one string,
 * which V8 caps at 512 MiB), strict UTF-8 (a byte sequence that is not UTF-8 is an error naming
 * the file and line, instead of a silent U+FFFD in a caption).
 */
import * as fs from 'node:fs';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** Decodes one line's bytes as strict UTF-8; errors name `file` and `line`. */
function decodeLine(bytes: Uint8Array, file: string, line: number): string {
  try {
    return decoder.decode(bytes);
  } catch {
    throw new Error(`${file}:${line}: not valid UTF-8 text (re-encode the file as UTF-8)`);
  }
}

/**
 * Calls `onLine(text, lineNumber)` for every line of `file` (1-based numbers, without the line
 * break; a trailing `\r` is removed), reading 4 MiB at a time. Bytes that are not UTF-8 are an
 * error naming the file and line. A leading UTF-8 byte-order mark is skipped.
 */
export function forEachLine(file: string, onLine: (text: string, line: number) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const buf = Buffer.allocUnsafe(1 << 22);
    let carry: Buffer = Buffer.alloc(0);
    let line = 0;
    let first = true;
    const emit = (bytes: Buffer) => {
      line++;
      let b = bytes;
      if (first) {
        first = false;
        if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
      }
      if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
      onLine(decodeLine(b, file, line), line);
    };
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      const chunk = carry.length ? Buffer.concat([carry, buf.subarray(0, n)]) : Buffer.from(buf.subarray(0, n));
      let start = 0;
      for (let nl = chunk.indexOf(0x0a, start); nl >= 0; nl = chunk.indexOf(0x0a, start)) {
        emit(chunk.subarray(start, nl));
        start = nl + 1;
      }
      carry = chunk.subarray(start);
    }
    if (carry.length) emit(carry);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Calls `onLine(text, lineNumber)` for every line of `bytes` (the contents of `file`, which only
 * names it in errors), decoding each line as strict UTF-8: for files too large for one string.
 */
export function forEachLineOfBuffer(bytes: Uint8Array, file: string, onLine: (text: string, line: number) => void): void {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let start = 0;
  let line = 0;
  const emit = (end: number) => {
    let b = buf.subarray(start, end);
    if (line === 0 && b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) b = b.subarray(3);
    if (b.length && b[b.length - 1] === 0x0d) b = b.subarray(0, b.length - 1);
    line++;
    onLine(decodeLine(b, file, line), line);
  };
  for (let nl = buf.indexOf(0x0a); nl >= 0; nl = buf.indexOf(0x0a, start)) {
    emit(nl);
    start = nl + 1;
  }
  if (start < buf.length) emit(buf.length);
}

/** The whole of `file` as strict UTF-8 text; bytes that are not UTF-8 are an error naming the file and line. */
export function readUtf8(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (err) {
    throw new Error(`${file}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    return decoder.decode(bytes);
  } catch {
    let line = 1;
    let start = 0;
    for (let nl = bytes.indexOf(0x0a); nl >= 0; nl = bytes.indexOf(0x0a, start)) {
      decodeLine(bytes.subarray(start, nl), file, line); // throws on the bad line
      line++;
      start = nl + 1;
    }
    decodeLine(bytes.subarray(start), file, line);
    throw new Error(`${file}: not valid UTF-8 text`);
  }
}
