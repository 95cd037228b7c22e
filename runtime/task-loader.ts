/**
 * Finds the task in a loaded bundle module: the named export may be a function `run(instance)`,
 * an object with `run`, or a class whose instances have `run` (a fresh one per run, as the seed
 * creates a new IBackgroundTask for each activation).
 */
import { TaskError } from './errors.js';
import type { TaskFunction } from './task-instance.js';

export function resolveTaskFunction(mod: unknown, exportName: string, where: string): TaskFunction {
  const exported = (mod as Record<string, unknown> | null)?.[exportName];
  if (exported === undefined) {
    const names = Object.keys((mod as object | null) ?? {});
    throw new TaskError(
      'TASK_LOAD_FAILED',
      `${where} has no export "${exportName}"${names.length ? ` (it exports: ${names.join(', ')})` : ''}: expected the task's run function, object or class`,
    );
  }
  if (typeof exported === 'function') {
    const proto = (exported as { prototype?: { run?: unknown } }).prototype;
    if (proto && typeof proto.run === 'function') {
      const TaskClass = exported as new () => { run(instance: unknown): unknown };
      return (instance) => new TaskClass().run(instance);
    }
    return exported as TaskFunction;
  }
  if (typeof exported === 'object' && exported !== null && typeof (exported as { run?: unknown }).run === 'function') {
    const task = exported as { run(instance: unknown): unknown };
    return (instance) => task.run(instance);
  }
  throw new TaskError(
    'TASK_LOAD_FAILED',
    `export "${exportName}" of ${where} is ${exported === null ? 'null' : typeof exported}: expected a function run(instance), an object with run(), or a class with run()`,
  );
}
