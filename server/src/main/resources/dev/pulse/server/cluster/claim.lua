-- Claims the nodes to sweep: those whose deadline has passed (or the one named, leaving), and the
-- sweeps whose sweeper's lease has run out (it died before it finished). A claim takes the node
-- out of the table and leases its sweep to the caller; its memberships are the caller's to remove.
-- KEYS: 1 the nodes (sorted set: node -> deadline in ms), 2 the sweeps under way (sorted set:
--       node -> lease end in ms), 3 the nodes' addresses (hash)
-- ARGV: 1 the prefix of a node's memberships key (followed by the node id and '/members'),
--       2 a node leaving now ('' for none), 3 the lease in ms
-- Returns: flat, per node claimed: its id, its memberships ("channel\nmember id" each)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nodes
if ARGV[2] ~= '' then
  nodes = {ARGV[2]}
else
  nodes = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now)
  for _, node in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', '(' .. now)) do
    nodes[#nodes + 1] = node
  end
end
local out = {}
for _, node in ipairs(nodes) do
  redis.call('ZREM', KEYS[1], node)
  redis.call('HDEL', KEYS[3], node)
  redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), node)
  out[#out + 1] = node
  out[#out + 1] = redis.call('SMEMBERS', ARGV[1] .. node .. '/members')
end
return out
