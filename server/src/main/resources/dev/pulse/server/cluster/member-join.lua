-- Adds a member to a channel's presence and, when it was not there, tells every node.
-- Returns: the channel's member count, negated when the member was there already (a node re-adding its members)
-- KEYS: 1 the channel's members (hash: id -> its leave event)
-- ARGV: 1 member id, 2 its leave event, 3 its join event, 4 the channel's topic, 5 the command that
--       publishes on it (PUBLISH, or SPUBLISH in a Redis Cluster)
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
local count = redis.call('HLEN', KEYS[1])
if added == 0 then
  return -count
end
redis.call(ARGV[5], ARGV[4], 'p' .. count .. ' ' .. ARGV[1] .. ' ' .. ARGV[3])
return count
