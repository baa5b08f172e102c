/**
 * Duplicate-id check for on-disk memories, sized for tens of millions of rows: a first pass keeps
 * only a 52-bit hash per id (8 bytes a row, 144 MB at 18M, where a Set of the ids themselves
 * would take gigabytes), sorted to find hashes seen twice; only when some are, a second pass
 * reads the ids behind those hashes and confirms a real duplicate (a hash collision is not one).
 */

/** FNV-1a over the UTF-16 code units with two offset bases, folded to 52 bits (exact in a double). */
export function idHash(id: string): number {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = Math.imul(a ^ c, 16777619) >>> 0;
    b = Math.imul(b ^ c, 0x5bd1e995) >>> 0;
  }
  return a * 2 ** 20 + (b >>> 12);
}

/** Where an id was seen, for the error message. */
export interface IdOrigin {
  /** The id. */
  id: string;
  /** E.g. `entry 12 of /data/captions.jsonl` or `row 40 of the memory`. */
  where: string;
}

/**
 * Throws naming the first id that occurs twice across `existing` (ids already in the memory) and
 * `incoming` (the source being added), both re-iterable. Each is read once, twice when two ids
 * share a hash.
 */
export async function checkUniqueIds(existing: () => AsyncIterable<IdOrigin>, incoming: () => Iterable<IdOrigin>): Promise<void> {
  const hashes: number[] = [];
  for await (const o of existing()) hashes.push(idHash(o.id));
  for (const o of incoming()) hashes.push(idHash(o.id));
  const sorted = Float64Array.from(hashes).sort();
  hashes.length = 0;
  const suspects = new Set<number>();
  for (let i = 1; i < sorted.length; i++) if (sorted[i] === sorted[i - 1]) suspects.add(sorted[i]);
  if (suspects.size === 0) return;
  const first = new Map<string, string>();
  const see = (o: IdOrigin) => {
    if (!suspects.has(idHash(o.id))) return;
    const before = first.get(o.id);
    if (before !== undefined) throw new Error(`${o.where}: duplicate id ${JSON.stringify(o.id)}, already used by ${before}; ids must be unique (nothing was written)`);
    first.set(o.id, o.where);
  };
  for await (const o of existing()) see(o);
  for (const o of incoming()) see(o);
}
