import { createHash } from 'node:crypto';
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage } from 'node:http';
import { parseCommand, type Command } from '../../protocol/admin/commands.js';
import { readBody } from '../edge/httpJson.js';

export type Intake = { ok: true; command: Command } | { ok: false; status: number; error: string };

const JSON_TYPE = 'application/json';
const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * The edge checks of POST /commands after authentication, in the order of protocol/admin.md
 * (ADM-CMD-1): size, content type, UTF-8, the form's payload parameter, checksum, then the
 * command itself. The first that fails is the answer; nothing is queued.
 */
export async function readCommand(req: IncomingMessage, url: URL, maxBytes: number): Promise<Intake> {
  const read = await readBody(req, maxBytes);
  if (!read.ok) return { ok: false, status: 413, error: `the request body is larger than ${maxBytes} bytes` };
  const type = (req.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  if (type !== JSON_TYPE && type !== FORM_TYPE) return { ok: false, status: 415, error: `Content-Type must be ${JSON_TYPE} or ${FORM_TYPE}` };
  if (!isUtf8(read.body)) return { ok: false, status: 400, error: 'the body is not UTF-8' };
  const body = read.body.toString('utf8');
  let text = body;
  let checksum = url.searchParams.get('checksum');
  if (type === FORM_TYPE) {
    const form = new URLSearchParams(body);
    const payload = form.get('payload');
    if (payload === null) return { ok: false, status: 400, error: 'missing the payload parameter' };
    text = payload;
    checksum = form.get('checksum') ?? checksum;
  }
  if (checksum !== null && createHash('sha1').update(text, 'utf8').digest('hex') !== checksum.toLowerCase()) {
    return { ok: false, status: 400, error: "checksums don't match" };
  }
  const command = parseCommand(text);
  if (!command.ok) return { ok: false, status: 400, error: command.error.detail ?? 'invalid command' };
  return { ok: true, command: command.value };
}
