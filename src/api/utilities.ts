/**
 * **Utilities**: seeded random numbers, progress reporting, atomic writes, folder locks and
 * redaction of secrets.
 *
 * @module Utilities
 */
export * from '../util/rng';
export * from '../util/progress';
export { writeFileAtomic, writeJsonAtomic, replaceDirAtomic, recoverDirSwap, readJson, contentHash, stableStringify } from '../util/fs';
export { acquireFolderLock, withFolderLock, LockHeldError, type FolderLock, type LockInfo } from '../util/lock';
export { redactUrl, redactSecrets } from '../util/safe-url';
