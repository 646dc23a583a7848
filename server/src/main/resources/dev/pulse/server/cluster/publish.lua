-- Numbers, keeps and publishes one channel message, atomically, so that history and delivery
-- agree on the order. The message is sent in two parts; its seq goes between them.
-- KEYS: 1 the channel's state (hash: seq, epoch), 2 its history (stream)
-- ARGV: 1 message before seq, 2 after it, 3 history size, 4 the publishing node's last seq of the
--       channel (where numbering resumes when Redis lost the state), 5 an epoch for a new state,
--       6 the channel's topic, 7 how long an untouched channel's state lives, in ms, 8 the
--       publish's deadline (ms since the epoch): past it the node has answered, or will answer,
--       unavailable, so the message must not be published, 9 the command that publishes on the
--       topic (PUBLISH, or SPUBLISH in a Redis Cluster), 10 history bytes
-- The state counts its history's bytes ('bytes'): the oldest messages go while there are more than
-- ARGV[3] of them or more bytes than ARGV[10], the newest always kept.
-- Returns: the message's seq, or -1 when the script ran after the deadline (nothing published)
local t = redis.call('TIME')
if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) > tonumber(ARGV[8]) then
  return -1
end
local epoch = redis.call('HGET', KEYS[1], 'epoch')
local seq
if epoch then
  seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
else
  epoch = ARGV[5]
  seq = tonumber(ARGV[4]) + 1
  redis.call('HSET', KEYS[1], 'epoch', epoch, 'seq', seq, 'bytes', 0)
  -- History of a lost state would hold messages of another epoch.
  redis.call('DEL', KEYS[2])
end
local message = ARGV[1] .. seq .. ARGV[2]
local size = tonumber(ARGV[3])
if size > 0 then
  redis.call('XADD', KEYS[2], seq .. '-1', 'm', message)
  local bytes = redis.call('HINCRBY', KEYS[1], 'bytes', #message)
  local kept = redis.call('XLEN', KEYS[2])
  local most = tonumber(ARGV[10])
  while kept > 1 and (kept > size or bytes > most) do
    local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
    redis.call('XDEL', KEYS[2], oldest[1])
    bytes = redis.call('HINCRBY', KEYS[1], 'bytes', -#oldest[2][2])
    kept = kept - 1
  end
  redis.call('PEXPIRE', KEYS[2], ARGV[7])
end
redis.call('PEXPIRE', KEYS[1], ARGV[7])
redis.call(ARGV[9], ARGV[6], 'm' .. epoch .. ' ' .. seq .. ' ' .. message)
return seq
