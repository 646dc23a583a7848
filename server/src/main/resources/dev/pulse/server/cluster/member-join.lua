-- Adds a member to a channel's presence and tells every node.
-- Returns: the channel's member count, negated when the member was there already (a node re-adding its members)
-- KEYS: 1 the channel's members (hash: id -> its leave event), 2 the node's memberships (set)
-- ARGV: 1 member id, 2 its leave event, 3 its join event, 4 the channel's topic, 5 "channel\nid"
local added = redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[5])
local count = redis.call('HLEN', KEYS[1])
redis.call('PUBLISH', ARGV[4], 'p' .. count .. ' ' .. ARGV[1] .. ' ' .. ARGV[3])
if added == 0 then
  return -count
end
return count
