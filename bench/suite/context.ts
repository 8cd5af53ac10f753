// What every benchmark of the suite is given, and what it gives back.
import type { GoalRow } from '../summary.js';

export interface SuiteContext {
  /** `--quick`: fewer rounds, smaller sizes, the whole suite under a minute. */
  readonly quick: boolean;
}

export interface SuiteBench {
  readonly name: string;
  /** One line: what it measures, printed before it runs. */
  readonly title: string;
  run(context: SuiteContext): Promise<GoalRow[]>;
}
