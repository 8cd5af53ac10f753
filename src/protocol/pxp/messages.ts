import { z } from 'zod';

/**
 * PXP 1.0 request/response over PCP (CONTRACT §9, REFERENCE §2.15), and our extensions in the
 * same style (`pubkeeper/rpc_*`). These are the data chunks of PCP messages between a controller
 * and an agent: the broker routes them opaquely, and each side checks every one it receives
 * against these schemas (a peer is not trusted). PXP's own schemas allow no other keys; ours
 * neither.
 */
export const PxpType = {
  BLOCKING_REQUEST: 'http://puppetlabs.com/rpc_blocking_request',
  BLOCKING_RESPONSE: 'http://puppetlabs.com/rpc_blocking_response',
  NON_BLOCKING_REQUEST: 'http://puppetlabs.com/rpc_non_blocking_request',
  PROVISIONAL_RESPONSE: 'http://puppetlabs.com/rpc_provisional_response',
  NON_BLOCKING_RESPONSE: 'http://puppetlabs.com/rpc_non_blocking_response',
  RPC_ERROR: 'http://puppetlabs.com/rpc_error_message',
  PROGRESS: 'pubkeeper/rpc_progress',
  CANCEL: 'pubkeeper/rpc_cancel',
  DATA_REQUEST: 'pubkeeper/rpc_data_request',
  DATA_RESPONSE: 'pubkeeper/rpc_data_response',
} as const;

export type PxpMessageType = (typeof PxpType)[keyof typeof PxpType];

/** The module and action every agent implements for its non-blocking transactions. */
export const STATUS_MODULE = 'status';
export const STATUS_ACTION = 'query';

/** The rpc_error_message description of a transaction its controller cancelled. */
export const CANCELLED = 'Cancelled.';

/** Longest transaction id, module, action, job id or data-request name we accept from a peer. */
const MAX_NAME_LENGTH = 256;

const name = z.string().min(1).max(MAX_NAME_LENGTH);
/** Any JSON value but absent: `undefined` is what a missing key parses to. */
const present = z.unknown().refine((value) => value !== undefined, 'required');
const jsonObject = z.record(z.string(), z.unknown());

const blockingRequestSchema = z.strictObject({ transaction_id: name, module: name, action: name, params: jsonObject.optional() });
const nonBlockingRequestSchema = blockingRequestSchema.extend({ notify_outcome: z.boolean() });
const blockingResponseSchema = z.strictObject({ transaction_id: name, results: jsonObject });
const provisionalResponseSchema = z.strictObject({ transaction_id: name });
const nonBlockingResponseSchema = z.strictObject({ transaction_id: name, job_id: name, results: jsonObject });
/** `id` is the PCP id of the request the error answers. */
const rpcErrorSchema = z.strictObject({ transaction_id: name, id: z.string().min(1), description: z.string() });
const progressSchema = z.strictObject({ transaction_id: name, progress: present });
const cancelSchema = z.strictObject({ transaction_id: name });
const dataRequestSchema = z.strictObject({ transaction_id: name, name, data: present });
const dataResponseSchema = z.strictObject({ transaction_id: name, name, data: present });

/** `status` `query`: params, and the results (PXP's transaction_status.md; other keys allowed). */
export const statusQueryParamsSchema = z.strictObject({ transaction_id: name });
const transactionStatusSchema = z.enum(['running', 'success', 'failure', 'unknown']);
export const statusQueryResultsSchema = z.looseObject({
  transaction_id: name,
  status: transactionStatusSchema,
  stdout: z.string().optional(),
  stderr: z.string().optional(),
  exitcode: z.number().int().optional(),
});

/** The schema of each message type's data chunk. */
export const PXP_SCHEMAS = {
  [PxpType.BLOCKING_REQUEST]: blockingRequestSchema,
  [PxpType.BLOCKING_RESPONSE]: blockingResponseSchema,
  [PxpType.NON_BLOCKING_REQUEST]: nonBlockingRequestSchema,
  [PxpType.PROVISIONAL_RESPONSE]: provisionalResponseSchema,
  [PxpType.NON_BLOCKING_RESPONSE]: nonBlockingResponseSchema,
  [PxpType.RPC_ERROR]: rpcErrorSchema,
  [PxpType.PROGRESS]: progressSchema,
  [PxpType.CANCEL]: cancelSchema,
  [PxpType.DATA_REQUEST]: dataRequestSchema,
  [PxpType.DATA_RESPONSE]: dataResponseSchema,
} as const;

export type PxpData<T extends PxpMessageType> = z.infer<(typeof PXP_SCHEMAS)[T]>;
export type TransactionStatus = z.infer<typeof transactionStatusSchema>;
export type StatusQueryResults = z.infer<typeof statusQueryResultsSchema>;

export function isPxpType(type: string): type is PxpMessageType {
  return Object.hasOwn(PXP_SCHEMAS, type);
}

/**
 * The data chunk of a PXP message, checked: the value, or a one-line reason (for the error
 * report; the message is then dropped or answered with a PCP error_message, never thrown).
 */
export function parsePxpData<T extends PxpMessageType>(type: T, data: unknown): { ok: true; value: PxpData<T> } | { ok: false; reason: string } {
  const parsed = PXP_SCHEMAS[type].safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data as PxpData<T> };
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return { ok: false, reason: `invalid ${type} data: ${where}${issue?.message ?? 'invalid'}` };
}
