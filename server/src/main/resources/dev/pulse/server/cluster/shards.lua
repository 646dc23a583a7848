-- How many shards the cluster's channels are spread over: set by the first node, checked by every
-- node that joins while others are alive (a node with another count would put channels elsewhere).
-- KEYS: 1 the nodes (sorted set: node -> deadline in ms), 2 the shard count (string)
-- ARGV: 1 this node's shard count
-- Returns: the cluster's shard count (this node's when it is the first, or all others are dead)
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local count = redis.call('GET', KEYS[2])
if count and count ~= ARGV[1] and redis.call('ZCOUNT', KEYS[1], now, '+inf') > 0 then
  return tonumber(count)
end
redis.call('SET', KEYS[2], ARGV[1])
return tonumber(ARGV[1])
