// The one table the suite ends with: every goal of issue 11, our figure, the baseline's, the ratio
// and whether the goal is met.
import { fmt, printTable, ratioText } from './stats.js';

export interface GoalRow {
  /** What is measured, e.g. "fan-out 1,000: server CPU per delivery". */
  readonly goal: string;
  readonly unit: string;
  readonly ours: number;
  readonly baseline: number;
  readonly baselineLabel: string;
  /** The goal as text, e.g. "≤ 0.70× nats-server". */
  readonly target: string;
  /** met, missed, or null when it could not be judged (a peer absent). */
  readonly met: boolean | null;
}

/** ours / baseline, the ratio every row shows. */
export function ratioOf(row: Pick<GoalRow, 'ours' | 'baseline'>): number {
  return row.ours / row.baseline;
}

function withUnit(value: number, unit: string): string {
  return unit === '' ? fmt(value) : `${fmt(value)} ${unit}`;
}

export function printSummary(rows: readonly GoalRow[]): void {
  console.log('\nSummary (medians of alternated rounds; ratio = ours / baseline)\n');
  printTable([
    ['goal', 'ours', 'baseline', 'ratio', 'goal', 'result'],
    ...rows.map((row) => [
      row.goal,
      withUnit(row.ours, row.unit),
      Number.isFinite(row.baseline) ? `${withUnit(row.baseline, row.unit)} (${row.baselineLabel})` : `— (${row.baselineLabel})`,
      ratioText(ratioOf(row)),
      row.target,
      row.met === null ? 'n/a' : row.met ? 'met' : 'MISSED',
    ]),
  ]);
}
