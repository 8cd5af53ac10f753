import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { CommandDirectory, SharedRecord } from '../admin/commandDirectory.js';
import type { CommandRecord } from '../admin/commandStore.js';

/**
 * The command directory in Redis: `P:cmd` (uuid → `{node, record}`) for every node's recent
 * commands, trimmed to the newest `history` by `P:cmdt` (uuid → when published); `P:dead` the dead
 * letters, until re-queued or deleted. What is read back is checked like client input.
 */
export class RedisCommandDirectory implements CommandDirectory {
  constructor(
    private readonly redis: Redis,
    private readonly tag: string,
    private readonly node: string,
    private readonly history: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  publish(record: CommandRecord, deleted = false): void {
    const value = JSON.stringify({ node: this.node, record });
    const multi = this.redis.multi();
    if (deleted) {
      multi.hdel(`${this.tag}:cmd`, record.uuid).zrem(`${this.tag}:cmdt`, record.uuid).hdel(`${this.tag}:dead`, record.uuid);
    } else {
      multi.hset(`${this.tag}:cmd`, record.uuid, value).zadd(`${this.tag}:cmdt`, Date.now(), record.uuid);
      if (record.status === 'failed') multi.hset(`${this.tag}:dead`, record.uuid, value);
      else multi.hdel(`${this.tag}:dead`, record.uuid);
    }
    void multi
      .exec()
      .then(() => this.trim())
      .catch(this.onError);
  }

  async find(uuid: string): Promise<SharedRecord | undefined> {
    return parseShared(await this.redis.hget(`${this.tag}:cmd`, uuid));
  }

  async deadLetters(limit: number): Promise<SharedRecord[]> {
    const all = Object.values(await this.redis.hgetall(`${this.tag}:dead`))
      .map(parseShared)
      .filter((shared): shared is SharedRecord => shared !== undefined);
    return all.sort((a, b) => (a.record.finished ?? '').localeCompare(b.record.finished ?? '')).slice(0, limit);
  }

  /** The oldest records beyond `history` go (dead letters stay in `P:dead` until acted on). */
  private async trim(): Promise<void> {
    const extra = (await this.redis.zcard(`${this.tag}:cmdt`)) - this.history;
    if (extra <= 0) return;
    const old = await this.redis.zrange(`${this.tag}:cmdt`, 0, extra - 1);
    if (old.length > 0) await this.redis.multi().hdel(`${this.tag}:cmd`, ...old).zrem(`${this.tag}:cmdt`, ...old).exec();
  }
}

const sharedSchema = z.object({
  node: z.string().min(1),
  record: z.looseObject({
    uuid: z.string().min(1),
    command: z.string(),
    version: z.number(),
    status: z.enum(['queued', 'retrying', 'done', 'failed']),
    attempts: z.array(z.looseObject({ at: z.string(), error: z.string() })),
  }),
});

function parseShared(text: string | null): SharedRecord | undefined {
  if (text === null) return undefined;
  try {
    const checked = sharedSchema.safeParse(JSON.parse(text));
    return checked.success ? { node: checked.data.node, record: checked.data.record as unknown as CommandRecord } : undefined;
  } catch {
    return undefined;
  }
}
