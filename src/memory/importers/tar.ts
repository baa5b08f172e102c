/**
 * A small tar reader for WebDataset shards: 512-byte ustar headers (plus GNU `L` long names
 * and pax `x` headers), read member by member from the file without loading it whole.
 */
import * as fs from 'node:fs';

/** One regular file inside a tar archive. */
export interface TarMember {
  /** Path inside the archive. */
  name: string;
  /** Byte offset of the member's data in the archive. */
  offset: number;
  /** Data size in bytes. */
  size: number;
}

const BLOCK = 512;

function cString(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end >= 0 && end < start + len ? end : start + len);
}

function octal(b: Buffer, start: number, len: number): number {
  if (b[start] & 0x80) {
    // GNU base-256 for big sizes.
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i];
    return v;
  }
  const s = cString(b, start, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) return NaN;
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const stored = octal(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return stored === sum;
}

function parsePax(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const sp = text.indexOf(' ', i);
    const len = Number(text.slice(i, sp));
    if (!(len > 0)) break;
    const rec = text.slice(sp + 1, i + len - 1);
    const eq = rec.indexOf('=');
    out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

/** Lists the regular files of tar archive `file`. A damaged archive is an error naming the file and the member. */
export function listTar(file: string): TarMember[] {
  const fd = fs.openSync(file, 'r');
  try {
    const total = fs.fstatSync(fd).size;
    const h = Buffer.alloc(BLOCK);
    const out: TarMember[] = [];
    let pos = 0;
    let longName: string | undefined;
    let paxPath: string | undefined;
    let lastName = '(start of archive)';
    while (pos + BLOCK <= total) {
      fs.readSync(fd, h, 0, BLOCK, pos);
      if (h.every((x) => x === 0)) return out; // end-of-archive marker
      if (!checksumOk(h)) throw new Error(`${file}: malformed tar header at byte ${pos} (after member ${lastName}): checksum mismatch`);
      const size = octal(h, 124, 12);
      const type = String.fromCharCode(h[156] || 0x30);
      let name = cString(h, 0, 100);
      const prefix = h.toString('latin1', 257, 262) === 'ustar' ? cString(h, 345, 155) : '';
      if (prefix) name = `${prefix}/${name}`;
      if (!Number.isFinite(size) || size < 0) throw new Error(`${file}: malformed tar header for member ${name}: bad size field`);
      const dataStart = pos + BLOCK;
      if (dataStart + size > total) throw new Error(`${file}: member ${name} is truncated (needs ${size} bytes, ${total - dataStart} left)`);
      if (type === 'L' || type === 'x') {
        const body = Buffer.alloc(size);
        fs.readSync(fd, body, 0, size, dataStart);
        if (type === 'L') longName = cString(body, 0, size);
        else paxPath = parsePax(body.toString('utf8')).path;
      } else {
        const full = paxPath ?? longName ?? name;
        longName = paxPath = undefined;
        if (type === '1' || type === '2') {
          throw new Error(`${file}: member ${JSON.stringify(full)} is a ${type === '1' ? 'hard' : 'symbolic'} link, which is not imported; put the file itself in the shard`);
        }
        if (type === '0' || type === '\0') out.push({ name: full, offset: dataStart, size });
        lastName = full;
      }
      pos = dataStart + Math.ceil(size / BLOCK) * BLOCK;
    }
    if (pos !== total) throw new Error(`${file}: truncated tar archive (ends inside a header after member ${lastName})`);
    return out;
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads `size` bytes at `offset` of `file` (a member's data). */
export function readTarMember(file: string, offset: number, size: number): Uint8Array {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size);
    const n = fs.readSync(fd, buf, 0, size, offset);
    if (n !== size) throw new Error(`${file}: member at byte ${offset} is truncated (${n} of ${size} bytes)`);
    return buf;
  } finally {
    fs.closeSync(fd);
  }
}

/** Builds a ustar archive from members (for tests and small exports). */
export function writeTar(members: { name: string; data: Uint8Array }[]): Uint8Array {
  const parts: Buffer[] = [];
  for (const m of members) {
    const h = Buffer.alloc(BLOCK);
    if (Buffer.byteLength(m.name) > 100) throw new Error(`writeTar: member name longer than 100 bytes: ${m.name}`);
    h.write(m.name, 0, 'utf8');
    h.write('0000644\0', 100, 'latin1');
    h.write('0000000\0', 108, 'latin1');
    h.write('0000000\0', 116, 'latin1');
    h.write(m.data.length.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
    h.write('00000000000\0', 136, 'latin1');
    h.write('        ', 148, 'latin1');
    h[156] = 0x30;
    h.write('ustar\0', 257, 'latin1');
    h.write('00', 263, 'latin1');
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += h[i];
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
    parts.push(h, Buffer.from(m.data), Buffer.alloc((BLOCK - (m.data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}
