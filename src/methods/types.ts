/**
 * What a continual-learning method is: a trainer plugin with a name and its resolved options,
 * whose state (teachers' sources, Fisher, buffers) persists across tasks via saveState/loadState.
 */
import type { TrainerPlugin } from '../train/plugin';

/** A continual-learning method, plugged into the trainer (`trainOnTask`, in Training) as a plugin. */
export interface ContinualMethod extends TrainerPlugin {
  /** The method's name as given to `createMethod`, e.g. `primed-dyn`. */
  readonly name: string;
  /** Its options with every default filled in (printable, saved beside results). */
  readonly options: object;
}
