-- Removes the nodes whose deadline has passed (or the one named, leaving), and their members from
-- every channel's presence, telling the channels' nodes with each member's leave event. Atomic, so
-- each dead node is swept by exactly one of the survivors.
-- KEYS: 1 the nodes (sorted set: node -> deadline in ms)
-- ARGV: 1 the cluster's key prefix, 2 a node leaving now ('' for none)
-- Returns: each membership removed as three values: its channel, its leave event, the members the
-- channel has left (the sweeping node tells the webhooks, so that each leave is told once)
local nodes
if ARGV[2] ~= '' then
  nodes = {ARGV[2]}
else
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  nodes = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
end
local removed = {}
for _, node in ipairs(nodes) do
  redis.call('ZREM', KEYS[1], node)
  redis.call('HDEL', ARGV[1] .. 'addresses', node)
  local memberships = ARGV[1] .. 'node/' .. node .. '/members'
  for _, entry in ipairs(redis.call('SMEMBERS', memberships)) do
    local nl = string.find(entry, '\n', 1, true)
    local channel = string.sub(entry, 1, nl - 1)
    local id = string.sub(entry, nl + 1)
    local members = ARGV[1] .. 'ch/' .. channel .. '/members'
    local leave = redis.call('HGET', members, id)
    if leave then
      redis.call('HDEL', members, id)
      local count = redis.call('HLEN', members)
      redis.call('PUBLISH', ARGV[1] .. 'ch/' .. channel, 'p' .. count .. ' ' .. id .. ' ' .. leave)
      table.insert(removed, channel)
      table.insert(removed, leave)
      table.insert(removed, count)
    end
  end
  redis.call('DEL', memberships)
end
return removed
