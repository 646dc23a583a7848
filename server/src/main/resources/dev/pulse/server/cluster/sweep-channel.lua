-- Removes a swept node's members from one channel's presence, telling the channel's nodes with each
-- one's leave event. A member already gone is skipped: each leave is told once, whoever sweeps.
-- KEYS: 1 the channel's members (hash: id -> its leave event)
-- ARGV: 1 the channel's topic, 2 the command that publishes on it, 3... the member ids
-- Returns: per member removed, its leave event and the members the channel has left
local removed = {}
for i = 3, #ARGV do
  local leave = redis.call('HGET', KEYS[1], ARGV[i])
  if leave then
    redis.call('HDEL', KEYS[1], ARGV[i])
    local count = redis.call('HLEN', KEYS[1])
    redis.call(ARGV[2], ARGV[1], 'p' .. count .. ' ' .. ARGV[i] .. ' ' .. leave)
    removed[#removed + 1] = leave
    removed[#removed + 1] = count
  end
end
return removed
