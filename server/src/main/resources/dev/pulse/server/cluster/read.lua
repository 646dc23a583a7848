-- A channel's state and history, for a join, a resynchronisation or the HTTP API.
-- KEYS: 1 state (hash: seq, epoch), 2 history (stream), 3 members (hash: id -> its leave event)
-- ARGV: 1 since (-1: the newest messages), 2 the epoch since belongs to ('' when none),
--       3 most messages, 4 presence limit (-1: no members wanted), 5 an epoch for a new state
--       ('' to make none), 6 the reader's last seq (where a new state's numbering starts),
--       7 how long an untouched state lives, in ms
-- Returns: {epoch or false, seq, messages (flat: seq, message, ...), member count, leave events}
local epoch = redis.call('HGET', KEYS[1], 'epoch')
if ARGV[5] ~= '' then
  -- A join: the channel is in use, its state lives on from now.
  if not epoch then
    epoch = ARGV[5]
    redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', ARGV[6], 'bytes', 0)
    redis.call('DEL', KEYS[2])
  end
  redis.call('PEXPIRE', KEYS[1], ARGV[7])
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0')
local since = tonumber(ARGV[1])
if ARGV[2] ~= '' and ARGV[2] ~= epoch then
  since = -1
end
local entries
if tonumber(ARGV[3]) == 0 then
  entries = {}
elseif since < 0 then
  entries = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', ARGV[3])
  local n = #entries
  for i = 1, math.floor(n / 2) do
    entries[i], entries[n + 1 - i] = entries[n + 1 - i], entries[i]
  end
elseif since < seq then
  entries = redis.call('XRANGE', KEYS[2], (since + 1) .. '-0', '+', 'COUNT', ARGV[3])
else
  entries = {}
end
local flat = {}
for _, entry in ipairs(entries) do
  local id = entry[1]
  flat[#flat + 1] = tonumber(string.sub(id, 1, string.find(id, '-', 1, true) - 1))
  flat[#flat + 1] = entry[2][2]
end
local count = 0
local members = {}
if tonumber(ARGV[4]) >= 0 then
  count = redis.call('HLEN', KEYS[3])
  if count <= tonumber(ARGV[4]) then
    members = redis.call('HVALS', KEYS[3])
  end
end
return {epoch or false, seq, flat, count, members}
