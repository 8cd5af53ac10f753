/**
 * The Lua scripts of the Redis engine (protocol/cluster.md). Each runs atomically inside Redis:
 * it re-checks what another node could have changed (uuid ownership, the node's own lease: a node
 * that lost its lease cannot write), changes the shared hashes, and appends what it changed to the
 * log as one entry, whose seq it returns with the entry itself so the proposing node can apply it
 * at once. Every node applies the log's entries in seq order to its own copy.
 *
 * Every key shares the hash tag `{prefix}`, so one script may touch all of them.
 * ARGV of every script: 1 prefix (with its braces), 2 epoch, 3 this node, 4 log length kept.
 * Times are Redis' own (`TIME`), so the nodes' clocks do not matter.
 *
 * Log ops (JSON arrays), validated like client input by the nodes that read them (logOps.ts):
 *   b+ topic uuid brewerJson canonical sub node session   a registration is now this
 *   b- topic uuid                                         a registration is gone
 *   r  uuid sub untilMs                                   a uuid reserved for its sub
 *   p+ node session topic patronId brewsJson canonical    a 1.x patron is now this
 *   p- node session topic patronId                        a 1.x patron is gone
 *   u+ uri node session                                   a PCP URI is held by this session
 *   u- uri                                                a PCP URI is free
 *   n  kind targetJson fromNode                           an admin notice (revoke, unrevoke, kick, command)
 *   x  node                                               a node was reaped
 */

const PRELUDE = `
local P = ARGV[1]
local EPOCH = ARGV[2]
local SELF = ARGV[3]
local LOGMAX = ARGV[4]
local NOW
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local ops = {}
local function key(s) return P .. ':' .. s end
local function emit(op) ops[#ops + 1] = op end
local function commit()
  if #ops == 0 then return {'OK', 0} end
  local seq = redis.call('HINCRBY', key('meta'), 'seq', 1)
  local text = cjson.encode(ops)
  redis.call('XADD', key('log'), 'MAXLEN', '~', LOGMAX, seq .. '-0', 'o', text)
  return {'OK', seq, text}
end
local function heldKey(node, session) return key('held:' .. node .. '\\0' .. session) end
local function hold(node, session, item)
  redis.call('SADD', heldKey(node, session), item)
  redis.call('SADD', key('nsess:' .. node), session)
end
local function unhold(node, session, item)
  local hk = heldKey(node, session)
  redis.call('SREM', hk, item)
  if redis.call('SCARD', hk) == 0 then redis.call('SREM', key('nsess:' .. node), session) end
end
local function epochOk() return redis.call('HGET', key('meta'), 'epoch') == EPOCH end
local function fenced()
  if not epochOk() then return 'EPOCH' end
  local deadline = redis.call('ZSCORE', key('nodes'), SELF)
  if not deadline or tonumber(deadline) < NOW then return 'FENCED' end
  return nil
end
local function ownerOf(uuid)
  local owner = redis.call('HGET', key('own'), uuid)
  if owner then return owner end
  local raw = redis.call('HGET', key('resv'), uuid)
  if raw then
    local r = cjson.decode(raw)
    if r[2] > NOW then return r[1] end
    redis.call('HDEL', key('resv'), uuid)
  end
  return nil
end
-- A registration value: [topic, uuid, brewerJson, canonical, sub, node, session].
local function getReg(field)
  local raw = redis.call('HGET', key('reg'), field)
  if raw then return cjson.decode(raw) end
  return nil
end
local function setReg(topic, uuid, brewer, canonical, sub, node, session, prev)
  local field = topic .. '\\0' .. uuid
  if prev then
    unhold(prev[6], prev[7], 'b' .. field)
  else
    redis.call('HSET', key('own'), uuid, sub)
    redis.call('HINCRBY', key('ownn'), uuid, 1)
    redis.call('HDEL', key('resv'), uuid)
  end
  redis.call('HSET', key('reg'), field, cjson.encode({topic, uuid, brewer, canonical, sub, node, session}))
  hold(node, session, 'b' .. field)
  emit({'b+', topic, uuid, brewer, canonical, sub, node, session})
end
local function delReg(field, cur, reserveUntil)
  redis.call('HDEL', key('reg'), field)
  unhold(cur[6], cur[7], 'b' .. field)
  local uuid = cur[2]
  if redis.call('HINCRBY', key('ownn'), uuid, -1) <= 0 then
    redis.call('HDEL', key('ownn'), uuid)
    redis.call('HDEL', key('own'), uuid)
  end
  emit({'b-', cur[1], uuid})
  if reserveUntil then
    redis.call('HSET', key('resv'), uuid, cjson.encode({cur[5], reserveUntil}))
    emit({'r', uuid, cur[5], reserveUntil})
  end
end
-- What one session still holds goes: patrons, then brewers (their uuids reserved), then its URI.
local function releaseSession(node, session, reserveMs)
  local hk = heldKey(node, session)
  local items = redis.call('SMEMBERS', hk)
  local expiry = nil
  if reserveMs > 0 then expiry = NOW + reserveMs end
  for _, item in ipairs(items) do
    if string.sub(item, 1, 1) == 'p' then
      local field = string.sub(item, 2)
      local raw = redis.call('HGET', key('pat'), field)
      if raw then
        local pt = cjson.decode(raw)
        redis.call('HDEL', key('pat'), field)
        emit({'p-', pt[1], pt[2], pt[3], pt[4]})
      end
    end
  end
  for _, item in ipairs(items) do
    if string.sub(item, 1, 1) == 'b' then
      local field = string.sub(item, 2)
      local cur = getReg(field)
      if cur and cur[6] == node and cur[7] == session then delReg(field, cur, expiry) end
    end
  end
  for _, item in ipairs(items) do
    if string.sub(item, 1, 1) == 'u' then
      local uri = string.sub(item, 2)
      local raw = redis.call('HGET', key('uri'), uri)
      if raw then
        local holder = cjson.decode(raw)
        if holder[1] == node and holder[2] == session then
          redis.call('HDEL', key('uri'), uri)
          emit({'u-', uri})
        end
      end
    end
  end
  redis.call('DEL', hk)
  redis.call('SREM', key('nsess:' .. node), session)
end
local function reapNode(node, reserveMs)
  for _, session in ipairs(redis.call('SMEMBERS', key('nsess:' .. node))) do
    releaseSession(node, session, reserveMs)
  end
  redis.call('DEL', key('nsess:' .. node))
  redis.call('ZREM', key('nodes'), node)
  redis.call('HDEL', key('names'), node)
  emit({'x', node})
end
-- No node could renew its lease for a while: Redis itself stalled (paused, overloaded), not the
-- nodes. Nobody is reaped for it: every lease starts again from now.
local function stalled(leaseMs)
  local beat = tonumber(redis.call('HGET', key('meta'), 'beat') or '0')
  if beat == 0 or NOW - beat <= leaseMs * 0.75 then return false end
  local nodes = redis.call('ZRANGE', key('nodes'), 0, -1)
  for _, node in ipairs(nodes) do redis.call('ZADD', key('nodes'), 'GT', NOW + leaseMs, node) end
  redis.call('HSET', key('meta'), 'beat', NOW)
  return true
end
`;

/** Each script's body, after the prelude; `numberOfKeys` is 1 (the meta hash) for all. */
const BODIES = {
  /** ARGV 5.. topic uuid brewerJson canonical sub node session */
  pkPut: `
local f = fenced()
if f then return {f} end
local topic, uuid, brewer, canonical, sub, node, session = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10], ARGV[11]
local owner = ownerOf(uuid)
if owner and owner ~= sub then return {'LACK'} end
local cur = getReg(topic .. '\\0' .. uuid)
if cur and cur[4] == canonical and cur[6] == node and cur[7] == session then return {'OK', 0} end
setReg(topic, uuid, brewer, canonical, sub, node, session, cur)
return commit()`,

  /** ARGV 5.. topic uuid sub ownerNode ownerSession ('' for any) */
  pkRemove: `
local f = fenced()
if f then return {f} end
local topic, uuid, sub, node, session = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9]
local field = topic .. '\\0' .. uuid
local cur = getReg(field)
if not cur then return {'OK', 0} end
if node ~= '' and (cur[6] ~= node or cur[7] ~= session) then return {'OK', 0} end
if sub ~= '' and cur[5] ~= sub then return {'LACK'} end
delReg(field, cur, nil)
return commit()`,

  /** ARGV 5.. node session topic patronId brewsJson canonical */
  pkPatronPut: `
local f = fenced()
if f then return {f} end
local node, session, topic, patronId, brews, canonical = ARGV[5], ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local field = node .. '\\0' .. session .. '\\0' .. topic .. '\\0' .. patronId
local raw = redis.call('HGET', key('pat'), field)
if raw and cjson.decode(raw)[6] == canonical then return {'OK', 0} end
redis.call('HSET', key('pat'), field, cjson.encode({node, session, topic, patronId, brews, canonical}))
hold(node, session, 'p' .. field)
emit({'p+', node, session, topic, patronId, brews, canonical})
return commit()`,

  /** ARGV 5.. node session topic patronId */
  pkPatronRemove: `
local f = fenced()
if f then return {f} end
local node, session, topic, patronId = ARGV[5], ARGV[6], ARGV[7], ARGV[8]
local field = node .. '\\0' .. session .. '\\0' .. topic .. '\\0' .. patronId
if redis.call('HDEL', key('pat'), field) == 0 then return {'OK', 0} end
unhold(node, session, 'p' .. field)
emit({'p-', node, session, topic, patronId})
return commit()`,

  /**
   * ARGV 5.. uri node session dropJson ([[topic, uuid]…]): the URI's previous session hands its
   * registrations over, those in drop go, and the URI is the new session's.
   */
  pkClaim: `
local f = fenced()
if f then return {f} end
local uri, node, session, drop = ARGV[5], ARGV[6], ARGV[7], cjson.decode(ARGV[8])
local raw = redis.call('HGET', key('uri'), uri)
if raw then
  local prev = cjson.decode(raw)
  if prev[1] ~= node or prev[2] ~= session then
    for _, item in ipairs(redis.call('SMEMBERS', heldKey(prev[1], prev[2]))) do
      if string.sub(item, 1, 1) == 'b' then
        local cur = getReg(string.sub(item, 2))
        if cur then setReg(cur[1], cur[2], cur[3], cur[4], cur[5], node, session, cur) end
      end
    end
    for _, d in ipairs(drop) do
      local field = d[1] .. '\\0' .. d[2]
      local cur = getReg(field)
      if cur and cur[6] == node and cur[7] == session then delReg(field, cur, nil) end
    end
    unhold(prev[1], prev[2], 'u' .. uri)
  end
end
redis.call('HSET', key('uri'), uri, cjson.encode({node, session}))
hold(node, session, 'u' .. uri)
emit({'u+', uri, node, session})
return commit()`,

  /**
   * ARGV 5.. node session reserveMs: a session ended. Not fenced: it only takes away what that
   * session still holds, which is right whoever asks, and a session's end must never be lost.
   */
  pkRelease: `
releaseSession(ARGV[5], ARGV[6], tonumber(ARGV[7]))
return commit()`,

  /** ARGV 5.. kind targetJson: an admin notice for every node; revocations are kept here too. */
  pkNotice: `
if not epochOk() then return {'EPOCH'} end
local kind, target = ARGV[5], ARGV[6]
local t = cjson.decode(target)
local rkey = nil
if t.jti then rkey = 'j\\0' .. t.jti elseif t.sub then rkey = 's\\0' .. t.sub end
if kind == 'revoke' and rkey then redis.call('HSET', key('revoked'), rkey, 1) end
if kind == 'unrevoke' and rkey then redis.call('HDEL', key('revoked'), rkey) end
emit({'n', kind, target, SELF})
return commit()`,

  /**
   * ARGV 5.. leaseMs: renews this node's lease. EPOCH when Redis lost the cluster (rejoin);
   * REJOIN when the lease had passed (this node was, or is now, reaped: rejoin and restore).
   * Replies OK, the number of live nodes, and the log's last seq.
   */
  pkHeartbeat: `
if not epochOk() then return {'EPOCH'} end
local leaseMs = tonumber(ARGV[5])
stalled(leaseMs)
redis.call('HSET', key('meta'), 'beat', NOW)
local deadline = redis.call('ZSCORE', key('nodes'), SELF)
if not deadline or tonumber(deadline) < NOW then
  if deadline then reapNode(SELF, 0) end
  local done = commit()
  return {'REJOIN', done[2], done[3]}
end
redis.call('ZADD', key('nodes'), NOW + leaseMs, SELF)
return {'OK', redis.call('ZCARD', key('nodes')), tonumber(redis.call('HGET', key('meta'), 'seq') or '0')}`,

  /** ARGV 5.. leaseMs reserveMs: removes what every node whose lease has passed still holds. */
  pkReap: `
local f = fenced()
if f then return {f} end
local leaseMs, reserveMs = tonumber(ARGV[5]), tonumber(ARGV[6])
if stalled(leaseMs) then return {'OK', 0} end
for _, node in ipairs(redis.call('ZRANGEBYSCORE', key('nodes'), '-inf', '(' .. NOW)) do
  if node ~= SELF then reapNode(node, reserveMs) end
end
return commit()`,

  /**
   * ARGV 5.. leaseMs newEpoch displayName restoreJson: joins (a new epoch when Redis holds none),
   * takes a lease, and puts back what this node's live sessions hold, unless another session has
   * taken it meanwhile; what this node held before and holds no more goes. Replies the epoch, the
   * entry's seq and text, the revocations kept, the number of live nodes, and 1 when this join
   * started the epoch (Redis held no cluster).
   */
  pkJoin: `
local leaseMs, newEpoch, name, restore = tonumber(ARGV[5]), ARGV[6], ARGV[7], cjson.decode(ARGV[8])
local epoch = redis.call('HGET', key('meta'), 'epoch')
local created = 0
if not epoch then
  created = 1
  epoch = newEpoch
  redis.call('HSET', key('meta'), 'epoch', epoch, 'seq', 0)
  redis.call('DEL', key('log'))
end
EPOCH = epoch
stalled(leaseMs)
redis.call('HSET', key('meta'), 'beat', NOW)
redis.call('ZADD', key('nodes'), NOW + leaseMs, SELF)
redis.call('HSET', key('names'), SELF, name)
local live = {}
for _, s in ipairs(restore.sessions) do live[s] = true end
for _, session in ipairs(redis.call('SMEMBERS', key('nsess:' .. SELF))) do
  if not live[session] then releaseSession(SELF, session, 0) end
end
for _, r in ipairs(restore.regs) do
  local topic, uuid, brewer, canonical, sub, node, session = r[1], r[2], r[3], r[4], r[5], r[6], r[7]
  local owner = ownerOf(uuid)
  if not owner or owner == sub then
    local cur = getReg(topic .. '\\0' .. uuid)
    if not cur then setReg(topic, uuid, brewer, canonical, sub, node, session, nil) end
  end
end
for _, p in ipairs(restore.patrons) do
  local field = SELF .. '\\0' .. p[1] .. '\\0' .. p[2] .. '\\0' .. p[3]
  if redis.call('HEXISTS', key('pat'), field) == 0 then
    redis.call('HSET', key('pat'), field, cjson.encode({SELF, p[1], p[2], p[3], p[4], p[5]}))
    hold(SELF, p[1], 'p' .. field)
    emit({'p+', SELF, p[1], p[2], p[3], p[4], p[5]})
  end
end
for _, u in ipairs(restore.uris) do
  if redis.call('HEXISTS', key('uri'), u[1]) == 0 then
    redis.call('HSET', key('uri'), u[1], cjson.encode({SELF, u[2]}))
    hold(SELF, u[2], 'u' .. u[1])
    emit({'u+', u[1], SELF, u[2]})
  end
end
for _, r in ipairs(restore.revoked) do redis.call('HSET', key('revoked'), r, 1) end
local done = commit()
return {epoch, done[2], done[3] or '', redis.call('HKEYS', key('revoked')), redis.call('ZCARD', key('nodes')), created}`,

  /**
   * ARGV 5.. appliedSeq newEpoch: a node has applied entries past the log's last seq, so Redis went
   * back in time (restored from an older snapshot, a replica promoted): its state cannot be
   * trusted. Everything but the revocations goes and a new epoch starts, as if Redis had lost it
   * all; the nodes put back what their live sessions hold.
   */
  pkRewind: `
if not epochOk() then return {'EPOCH'} end
if tonumber(redis.call('HGET', key('meta'), 'seq') or '0') >= tonumber(ARGV[5]) then return {'OK', 0} end
for _, k in ipairs(redis.call('KEYS', P .. ':*')) do
  if k ~= key('revoked') then redis.call('DEL', k) end
end
redis.call('HSET', key('meta'), 'epoch', ARGV[6], 'seq', 0)
return {'OK', 1}`,

  /** The shared state as of one seq, for a node that must catch up without the log. */
  pkSnapshot: `
if not epochOk() then return {'EPOCH'} end
return {'OK', tonumber(redis.call('HGET', key('meta'), 'seq') or '0'), redis.call('HVALS', key('reg')),
  redis.call('HVALS', key('pat')), redis.call('HGETALL', key('uri')), redis.call('HGETALL', key('resv')),
  redis.call('HKEYS', key('revoked'))}`,
} as const;

export type ScriptName = keyof typeof BODIES;

export const SCRIPTS: Readonly<Record<ScriptName, string>> = Object.fromEntries(
  Object.entries(BODIES).map(([name, body]) => [name, PRELUDE + body]),
) as Record<ScriptName, string>;

/**
 * What a script replies: a verdict first ('OK', 'LACK', 'EPOCH', 'FENCED', 'REJOIN'; the engine
 * adds 'STALE' for a refusal it has already acted on), then its values.
 */
export type Reply = (string | number | string[])[];

/** Runs one script as this node, under the epoch it knows. */
export type RunScript = (name: ScriptName, args: (string | number)[]) => Promise<Reply>;
