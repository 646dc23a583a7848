-- Removes a member from a channel's presence and tells every node, with its leave event.
-- Returns: 0 when it was not there, else 1 + the members left
-- KEYS: 1 the channel's members (hash: id -> its leave event)
-- ARGV: 1 member id, 2 the channel's topic, 3 the command that publishes on it
local leave = redis.call('HGET', KEYS[1], ARGV[1])
if not leave then
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
local count = redis.call('HLEN', KEYS[1])
redis.call(ARGV[3], ARGV[2], 'p' .. count .. ' ' .. ARGV[1] .. ' ' .. leave)
return 1 + count
