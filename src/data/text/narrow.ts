/** Narrowing a TextTask by its type (the discriminant sits in `meta`, which TypeScript does not narrow through). */
import type { TaskType, TextTask } from './types.js';

export type TaskOf<T extends TaskType> = Extract<TextTask, { meta: { type: T } }>;

/** The task's data as the given type's data; call only after checking `task.meta.type === type`. */
export function dataOf<T extends TaskType>(task: TextTask, _type: T): TaskOf<T>['data'] {
  return task.data as TaskOf<T>['data'];
}
