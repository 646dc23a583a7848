-- Removes a member from a channel's presence and tells every node, with its leave event.
-- Returns: 0 when it was not there, else 1 + the members left
-- KEYS: 1 the channel's members (hash: id -> its leave event), 2 the node's memberships (set)
-- ARGV: 1 member id, 2 the channel's topic, 3 "channel\nid"
redis.call('SREM', KEYS[2], ARGV[3])
local leave = redis.call('HGET', KEYS[1], ARGV[1])
if not leave then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
local count = redis.call('HLEN', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'p' .. count .. ' ' .. ARGV[1] .. ' ' .. leave)
return 1 + count
