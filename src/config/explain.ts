import type { z } from 'zod';

/**
 * A zod issue as the end of a sentence a person can act on ("must be at least 200"), instead of
 * zod's own wording ("Too small: expected number to be >=200"). Messages written in the schema
 * itself (`regex(…, 'must be a redis:// URL')`) are already such sentences and are kept.
 */
export function explainIssue(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'too_small':
      if (issue.origin === 'string') return 'must not be empty';
      if (Number(issue.minimum) === 0 && !issue.inclusive) return 'must be above 0';
      return `must be at least ${String(issue.minimum)}`;
    case 'too_big':
      return `must be at most ${String(issue.maximum)}`;
    case 'invalid_type':
      if (issue.expected === 'number') return 'must be a number';
      if (issue.expected === 'int') return 'must be a whole number';
      if (issue.expected === 'boolean') return 'must be true or false';
      return `must be a ${issue.expected}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map(String).join(', ')}`;
    default:
      return issue.message;
  }
}
