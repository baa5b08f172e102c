/**
 * Loaded before LanceDB: on a machine with few cores (2 here) LanceDB's CPU pool has as many
 * threads as cores, and building the full-text index over 1M captions deadlocked with every
 * pool thread blocked waiting (seen with 0.31.0: idle for 12 minutes, all threads parked); with
 * 8 threads the same index built in 107 s. A value the user set is kept.
 */
import * as os from 'node:os';

process.env.LANCE_CPU_THREADS ??= String(Math.max(8, os.availableParallelism()));
