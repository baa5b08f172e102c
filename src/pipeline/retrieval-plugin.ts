/**
 * Retrieval as a trainer plugin: before each task, its `beforeTask` builds (or reads from the
 * cache) the task's reference set; the method distils on it through {@link RetrievalPlugin.referenceSet}
 * (its `referenceSet` option). `distill` and `evaluateMGTIL` put it before the method in the
 * trainer's plugins; on a resumed task the set is built again (a cache hit), so it holds no state.
 */
import type { ClassificationDataset } from '../data/types';
import { drawReferenceBatch, type ReferenceBatch, type ReferenceRequest } from '../methods/reference';
import type { TaskContext, TrainerPlugin } from '../train/plugin';
import { prepareReference, type PreparedReference, type ReferenceContext } from './reference';

/** The reference set of one task, as the plugin prepared it. */
export interface TaskReference {
  /** The task it was prepared for. */
  taskIndex: number;
  /** The set: its batch, cache key, bags and memory rows. */
  reference: PreparedReference;
}

/** The retrieval plugin: a {@link TrainerPlugin} that prepares each task's reference set. */
export interface RetrievalPlugin extends TrainerPlugin {
  /**
   * A method's `referenceSet` option: draws each step's batch from the reference set of the task
   * being trained (an error for any other task: its set was not prepared).
   */
  readonly referenceSet: (request: ReferenceRequest) => Promise<ReferenceBatch>;
  /** The set of the task prepared last (kept after its task, for the run's records); undefined before the first. */
  readonly current: TaskReference | undefined;
}

/**
 * Makes the retrieval plugin. `earlierTasks(t)` gives the tasks learned before task `t` (their
 * labels and domains feed the siphon); `context` is everything else retrieval needs.
 *
 * @example
 * ```ts
 * const retrieval = retrievalPlugin(context, (t) => tasks.slice(0, t));
 * const method = createMethod('primed-dyn', { referenceSet: retrieval.referenceSet });
 * await trainOnTask(model, { taskIndex: 1, dataset: tasks[1] }, { plugins: [retrieval, method] });
 * console.log(retrieval.current?.reference.key);
 * ```
 */
export function retrievalPlugin(context: ReferenceContext, earlierTasks: (taskIndex: number) => ClassificationDataset[]): RetrievalPlugin {
  let current: TaskReference | undefined;
  return {
    name: 'retrieval',
    get current() {
      return current;
    },
    async beforeTask(ctx: TaskContext) {
      const taskIndex = ctx.task.taskIndex;
      current = undefined; // the last task's batch can go before the next one is loaded
      current = { taskIndex, reference: await prepareReference(context, earlierTasks(taskIndex)) };
    },
    async referenceSet(request: ReferenceRequest) {
      if (!current || current.taskIndex !== request.taskIndex) throw new Error(`no reference set prepared for task ${request.taskIndex}`);
      return drawReferenceBatch(current.reference.batch, request);
    },
    dispose() {
      current = undefined;
    },
  };
}
