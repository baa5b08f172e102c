/**
 * Child process of {@link prepareFilesParallel}: prepares the files it is sent (decode, resize,
 * crop, cache) and reports progress and the summary back over IPC.
 */
import { prepareFiles, type PrepareSpec } from './prepare';

/** What the parent sends. */
interface PrepareJob {
  files: string[];
  spec: PrepareSpec;
  cacheDir?: string;
  cache?: boolean;
}

process.on('message', (job: PrepareJob) => {
  const summary = prepareFiles(job.files, job.spec, {
    cacheDir: job.cacheDir,
    cache: job.cache,
    progress: (e) => process.send?.({ type: 'progress', done: e.done }),
  });
  process.send?.({ type: 'done', summary }, () => process.exit(0));
});
